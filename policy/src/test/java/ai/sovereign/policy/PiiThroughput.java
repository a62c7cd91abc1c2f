package ai.sovereign.policy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Throughput of {@link PiiScanner#scan} on generated mixed Korean/English text with about one identifier per 2 KB of
 * UTF-8, on one thread (wall time and the thread's CPU time, which a shared machine does not inflate). Run by hand (not part of the suite):
 * {@code java -cp policy/target/classes:policy/target/test-classes ai.sovereign.policy.PiiThroughput [MB] [lineChars]}.
 */
public final class PiiThroughput {
    private static final String[] FILLER = {
        "오늘 회의에서는 다음 분기 예산과 인력 계획을 논의했습니다. ",
        "고객 문의가 지난주보다 12% 늘었고, 응답 시간은 평균 3.5시간이었습니다. ",
        "The quarterly report shows revenue of 1,250 million won, up 8.2 percent year over year. ",
        "2024년 3월 5일 기준으로 신규 가입자는 4,312명입니다. ",
        "Please review the attached draft before Friday and leave comments inline. ",
        "배송은 보통 2~3일 걸리며, 주말에는 출고되지 않습니다. ",
        "서버 점검은 새벽 2시부터 4시까지 진행될 예정입니다. ",
        "We migrated 37 services to the new cluster in 14 days without downtime. ",
        "가격은 12,000원이고 10개 이상 주문하면 5% 할인됩니다. ",
        "모델 학습에는 H100 8장으로 약 72시간이 걸렸습니다. ",
        "Let me know if the 10:30 meeting still works for everyone on the team. ",
        "이번 업데이트 버전 2.3.1에서는 로그인 오류가 수정되었습니다. ",
        "정책 문서 3장 2절을 참고하여 개인정보 처리 절차를 정리해 주세요. ",
        "The model answered 93 of 100 questions correctly on the Korean benchmark. ",
    };
    private static final String[] IDS = {
        "주민등록번호 850315-1812920", "연락처 010-1234-5678", "메일 hong@example.com", "여권번호 M123A4567", "카드 4111 1111 1111 1111",
        "운전면허 11-12-345678-90", "IP 203.0.113.7", "사업자등록번호 214-86-09133", "신한은행 110-123-456789", "성명: 홍길동",
        "주소: 서울특별시 종로구 세종대로 209", "phone +82 10-1234-5678", "차량 12가3456", "외국인등록번호 870921-5646956",
    };

    /** Lines of about {@code lineChars} chars, {@code mb} MiB of UTF-8 in all, one identifier per ~2 KB; seeded. */
    public static List<String> corpus(int mb, int lineChars) {
        Random random = new Random(42);
        List<String> lines = new ArrayList<>();
        long bytes = 0;
        StringBuilder line = new StringBuilder();
        long sinceId = 0;
        while (bytes < (long) mb << 20) {
            String piece;
            if (sinceId >= 2048) {
                piece = IDS[random.nextInt(IDS.length)] + ". ";
                sinceId = 0;
            } else {
                piece = FILLER[random.nextInt(FILLER.length)];
            }
            int b = piece.getBytes(StandardCharsets.UTF_8).length;
            sinceId += b;
            bytes += b;
            line.append(piece);
            if (line.length() >= lineChars) {
                lines.add(line.toString());
                line.setLength(0);
            }
        }
        if (!line.isEmpty()) {
            lines.add(line.toString());
        }
        return lines;
    }

    public static void main(String[] args) throws java.io.IOException {
        int mb = args.length > 0 ? Integer.parseInt(args[0]) : 100;
        int lineChars = args.length > 1 ? Integer.parseInt(args[1]) : 2000;
        List<String> lines = corpus(mb, lineChars);
        if (args.length > 2) { // write the corpus as a file for `sovereign pii scan`
            java.nio.file.Files.write(java.nio.file.Path.of(args[2]), lines, StandardCharsets.UTF_8);
            return;
        }
        long bytes = lines.stream().mapToLong(l -> l.getBytes(StandardCharsets.UTF_8).length).sum();
        PiiScanner scanner = new PiiScanner();
        System.out.printf("corpus: %.1f MB UTF-8, %d lines of ~%d chars%n", bytes / 1e6, lines.size(), lineChars);
        for (int round = 0; round < 10; round++) {
            long found = 0;
            var threads = java.lang.management.ManagementFactory.getThreadMXBean();
            long c0 = threads.getCurrentThreadCpuTime();
            long t0 = System.nanoTime();
            for (String l : lines) {
                found += scanner.scan(l, 0.5).size();
            }
            double s = (System.nanoTime() - t0) / 1e9;
            double cpu = (threads.getCurrentThreadCpuTime() - c0) / 1e9;
            System.out.printf("round %d: %.3f s wall (%.0f MB/s), %.3f s CPU (%.0f MB/s per core), %d entities%n", round, s,
                    bytes / 1e6 / s, cpu, bytes / 1e6 / cpu, found);
        }
    }
}
