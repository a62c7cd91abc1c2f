#!/usr/bin/env python3
"""Generates pii-eval.jsonl: labelled Korean/English sentences (chat and document style) for PiiEvaluationTest.

Deterministic (seeded). Identifiers are synthetic: check digits are computed, names/addresses are common shapes,
e-mail domains are RFC 2606, IPs are RFC 5737/3849 test ranges. Each line: {"text", "style", "lang", "entities":
[{"type","start","end"}]} with UTF-16 offsets. Hard negatives (order numbers, dates, versions, wrong-check numbers
without context) carry no entities. Run: python3 generate_eval.py > pii-eval.jsonl
"""
import json, random

R = random.Random(20260115)
W = [2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5]

def d(n): return "".join(str(R.randrange(10)) for _ in range(n))
def rsum(p): return sum(int(c) * w for c, w in zip(p, W))
def birth(lo=1950, hi=2019):
    y = R.randrange(lo, hi + 1); m = R.randrange(1, 13); dd = R.randrange(1, 29)
    return y, f"{y % 100:02d}{m:02d}{dd:02d}"
def rrn_digits(valid=True, post2020=False):
    if post2020:
        y, ymd = R.choice([(2021, "21"), (2022, "22"), (2023, "23"), (2024, "24")])[0], None
        ymd = f"{y % 100:02d}{R.randrange(1, 13):02d}{R.randrange(1, 29):02d}"
        s = R.choice("34"); p = ymd + s + d(5)
        c = (11 - rsum(p) % 11) % 10
        return p + str((c + R.randrange(1, 10)) % 10)
    y, ymd = birth()
    s = R.choice("12") if y < 2000 else R.choice("34")
    p = ymd + s + d(5)
    c = (11 - rsum(p) % 11) % 10
    return p + str(c if valid else (c + R.randrange(1, 10)) % 10)
def frn_digits(valid=True):
    y, ymd = birth(1950, 2015)
    s = R.choice("56") if y < 2000 else R.choice("78")
    p = ymd + s + d(5)
    c = (13 - rsum(p) % 11) % 10
    return p + str(c if valid else (c + R.randrange(1, 10)) % 10)
def crn_digits():
    p = R.choice(["1101", "1201", "1311", "1101", "2841"]) + R.choice(["11", "14", "21", "71"]) + "0" + d(5)
    s = sum(int(c) * (1 if i % 2 == 0 else 2) for i, c in enumerate(p))
    return p + str((10 - s % 10) % 10)
def brn_digits():
    while True:
        p = str(R.randrange(101, 1000)) + R.choice(["81", "86", "87", "01", "05", "12", "82", "90"]) + f"{R.randrange(1, 10000):04d}"
        w = [1, 3, 7, 1, 3, 7, 1, 3, 5]
        s = sum(int(c) * x for c, x in zip(p, w)) + (5 * int(p[8])) // 10
        return p + str((10 - s % 10) % 10)
def luhn_complete(p):
    for k in range(10):
        x = p + str(k); t = 0
        for i, c in enumerate(reversed(x)):
            v = int(c)
            if i % 2: v = v * 2 - 9 if v * 2 > 9 else v * 2
            t += v
        if t % 10 == 0: return x
def card():
    kind = R.choice(["visa", "mc", "domestic", "amex", "jcb", "unionpay", "visa", "mc", "domestic"])
    if kind == "amex":
        n = luhn_complete(R.choice(["34", "37"]) + d(12)); return f"{n[:4]}-{n[4:10]}-{n[10:]}" if R.random() < .6 else f"{n[:4]} {n[4:10]} {n[10:]}"
    pre = {"visa": "4", "mc": R.choice(["51", "52", "55", "2221"]), "domestic": R.choice(["94", "9410", "9490"]), "jcb": "35", "unionpay": "62"}[kind]
    n = luhn_complete(pre + d(15 - len(pre)))
    sep = R.choice(["-", " ", "-", ""])
    return sep.join([n[0:4], n[4:8], n[8:12], n[12:16]]) if sep else n
def bad_card():
    n = luhn_complete("4" + d(14)); return n[:-1] + str((int(n[-1]) + R.randrange(1, 10)) % 10)
def phone():
    k = R.randrange(12)
    if k < 4: return f"010-{d(4)}-{d(4)}"
    if k == 4: return f"010 {d(4)} {d(4)}"
    if k == 5: return f"010{d(8)}"
    if k == 6: return f"02-{R.randrange(200, 999)}-{d(4)}"
    if k == 7: return f"0{R.choice(['31', '32', '51', '53', '62', '64'])}-{R.randrange(200, 999)}-{d(4)}"
    if k == 8: return f"+82 10-{d(4)}-{d(4)}"
    if k == 9: return f"(02) {R.randrange(200, 999)}-{d(4)}"
    if k == 10: return f"070-{d(4)}-{d(4)}"
    return f"0505-{R.randrange(100, 999)}-{d(4)}"
def passport():
    L = R.choice("MMMSRDO")
    return f"{L}{d(3)}{R.choice('ABCDEFGHJKLMNPQRSTUVWXYZ')}{d(4)}" if R.random() < .5 else f"{L}{d(8)}"
def licence():
    reg = R.choice([11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 28])
    sep = R.choice(["-", "-", " "])
    return sep.join([str(reg), d(2), d(6), d(2)])
def old_licence():
    return f"{R.choice(['서울', '부산', '경기', '대구', '인천'])} {d(2)}-{d(6)}-{d(2)}"
SUR = "김이박최정강조윤장임한오서신권황안송전홍"
GIV = ["민준", "서연", "지훈", "하은", "도윤", "지우", "현우", "수아", "건우", "예린", "철수", "영희", "길동"]
def kname(): return R.choice(SUR) + R.choice(GIV)
ENAMES = ["John Smith", "Emily Clark", "Daniel Lee", "Sarah Kim", "Michael Park", "Olivia Choi"]
ROADS = [("서울특별시 종로구", "세종대로"), ("서울 강남구", "테헤란로"), ("경기도 성남시 분당구", "판교역로"), ("부산광역시 해운대구", "센텀중앙로"),
         ("인천광역시 연수구", "컨벤시아대로"), ("대전광역시 유성구", "대학로")]
def address():
    a, r = R.choice(ROADS); s = f"{a} {r} {R.randrange(1, 400)}"
    if R.random() < .4: s += f", {R.randrange(101, 120)}동 {R.randrange(101, 2000)}호"
    return s
def email():
    return R.choice([f"{R.choice(['hong', 'minjun.kim', 'sy_park', 'lee+news', 'jihoon99'])}@{R.choice(['example.com', 'example.co.kr', 'mail.example.org', 'test.example'])}",
                     f"{kname()}@예시.한국"])
def ipv4(): return R.choice(["192.0.2.", "198.51.100.", "203.0.113."]) + str(R.randrange(1, 255))
def ipv6(): return R.choice([f"2001:db8::{R.randrange(1, 65535):x}", f"2001:db8:{R.randrange(1, 65535):x}::{R.randrange(1, 255):x}", f"::ffff:{ipv4()}"])
def account():
    return R.choice([f"110-{d(3)}-{d(6)}", f"1002-{d(3)}-{d(6)}", f"{d(6)}-{d(2)}-{d(6)}", f"3333-{d(2)}-{d(7)}", f"302-{d(4)}-{d(4)}-{d(2)}"])
def plate():
    return R.choice([f"{R.randrange(10, 70)}{R.choice('가나다라마거너더러머버서어저고노도로모보소오조구누두루무부수우주')}{d(4)}",
                     f"{R.randrange(100, 700)}{R.choice('가나다라마')}{d(4)}", f"서울{R.randrange(10, 99)}{R.choice('가나다')}{d(4)}"])
def fmt13(x): return R.choice([f"{x[:6]}-{x[6:]}", f"{x[:6]}-{x[6:]}", f"{x[:6]} {x[6:]}", x, f"{x[:6]}－{x[6:]}"])
def wide(s): return "".join(chr(ord(c) + 0xFEE0) if "0" <= c <= "9" or c == "-" else c for c in s)

T = {
 "KR_RRN": [("chat", "ko", "제 주민번호 {}이에요"), ("doc", "ko", "주민등록번호: {}"), ("chat", "ko", "주민등록번호 {} 맞나요?"),
            ("doc", "en", "Resident registration number: {}"), ("chat", "en", "my RRN is {} fyi"), ("doc", "ko", "신청인 주민등록번호 {} (본인 확인용)"),
            ("chat", "ko", "{} 이거 제 주민번호인데 등록 좀 해주세요")],
 "KR_FRN": [("doc", "ko", "외국인등록번호: {}"), ("chat", "en", "My alien registration number is {}."), ("chat", "ko", "외국인등록증 번호 {}로 조회해 주세요")],
 "KR_BRN": [("doc", "ko", "사업자등록번호 {}"), ("doc", "en", "Business registration no. {}")],
 "KR_CRN": [("doc", "ko", "법인등록번호: {}"), ("doc", "en", "Corporate registration number {}")],
 "KR_PASSPORT": [("chat", "ko", "여권번호는 {}입니다"), ("doc", "ko", "여권 번호: {}"), ("chat", "en", "passport no {} expires next year"),
                 ("doc", "en", "Passport Number: {}"), ("chat", "ko", "새로 발급받은 여권 {} 로 예약했어요")],
 "KR_DRIVER_LICENSE": [("doc", "ko", "운전면허번호: {}"), ("chat", "ko", "면허번호 {}이고 2종 보통입니다"), ("doc", "en", "Driver's license number {}"),
                       ("chat", "en", "my driving licence is {}")],
 "PHONE_NUMBER": [("chat", "ko", "제 번호 {}로 연락 주세요~"), ("doc", "ko", "연락처: {}"), ("chat", "en", "call me at {} tonight"),
                  ("doc", "en", "Tel. {}"), ("chat", "ko", "급하면 {} 으로 문자 주세요"), ("doc", "ko", "담당 부서 전화 {}, 팩스 없음")],
 "CREDIT_CARD": [("chat", "ko", "카드번호 {} 로 결제해 주세요"), ("doc", "en", "Card: {} exp 12/28"), ("chat", "en", "use my card {}"),
                 ("doc", "ko", "신용카드 번호 {} (유효기간 09/27)"), ("chat", "ko", "체크카드 {}이요")],
 "EMAIL_ADDRESS": [("chat", "ko", "메일은 {}으로 보내주세요"), ("doc", "en", "Email: {}"), ("chat", "en", "ping me at {}!"), ("doc", "ko", "문의: {}")],
 "IP_ADDRESS": [("doc", "ko", "접속 IP {} 에서 로그인 시도"), ("doc", "en", "Client address {} was blocked."), ("chat", "en", "server is at {}:8080"),
                ("doc", "en", "request from [{}]:443")],
 "KR_BANK_ACCOUNT": [("chat", "ko", "신한은행 {} 로 입금 부탁드려요"), ("doc", "ko", "환불 계좌: {} (국민은행)"), ("chat", "en", "bank account {} at Woori")],
 "KR_HEALTH_INSURANCE": [("doc", "ko", "건강보험증 번호 {}"), ("doc", "en", "Health insurance card no. {}")],
 "KR_VEHICLE_PLATE": [("chat", "ko", "차량번호 {} 주차 등록해 주세요"), ("doc", "ko", "차량 {} 출입 허가"), ("chat", "ko", "{} 차주분 차 좀 빼주세요")],
 "PERSON": [("doc", "ko", "성명: {}"), ("chat", "ko", "제 이름은 {}입니다"), ("doc", "ko", "예금주: {}"), ("doc", "en", "Name: {}")],
 "LOCATION": [("doc", "ko", "주소: {}"), ("doc", "ko", "배송지: {}"), ("chat", "ko", "{}에 있는 사무실로 오세요"), ("doc", "en", "Address: {}")],
}
GEN = {
 "KR_RRN": lambda: fmt13(rrn_digits(valid=R.random() < .7, post2020=R.random() < .15)),
 "KR_FRN": lambda: fmt13(frn_digits(valid=R.random() < .7)),
 "KR_BRN": lambda: (lambda x: f"{x[:3]}-{x[3:5]}-{x[5:]}")(brn_digits()),
 "KR_CRN": lambda: (lambda x: f"{x[:6]}-{x[6:]}")(crn_digits()),
 "KR_PASSPORT": passport, "KR_DRIVER_LICENSE": lambda: old_licence() if R.random() < .2 else licence(),
 "PHONE_NUMBER": phone, "CREDIT_CARD": card, "EMAIL_ADDRESS": email, "KR_BANK_ACCOUNT": account, "KR_VEHICLE_PLATE": plate,
 "KR_HEALTH_INSURANCE": lambda: d(11), "PERSON": None, "LOCATION": address,
}
COUNTS = {"KR_RRN": 45, "KR_FRN": 20, "KR_BRN": 10, "KR_CRN": 8, "KR_PASSPORT": 30, "KR_DRIVER_LICENSE": 30, "PHONE_NUMBER": 40,
          "CREDIT_CARD": 35, "EMAIL_ADDRESS": 20, "IP_ADDRESS": 16, "KR_BANK_ACCOUNT": 12, "KR_HEALTH_INSURANCE": 6, "KR_VEHICLE_PLATE": 12,
          "PERSON": 16, "LOCATION": 14}

def u16(s): return len(s.encode("utf-16-le")) // 2
out = []
def emit(style, lang, parts):
    text = ""; ents = []
    for p in parts:
        if isinstance(p, tuple):
            t, v = p; ents.append({"type": t, "start": u16(text), "end": u16(text) + u16(v)}); text += v
        else:
            text += p
    out.append({"text": text, "style": style, "lang": lang, "entities": ents})

for typ, count in COUNTS.items():
    for i in range(count):
        style, lang, tpl = R.choice(T[typ])
        if typ == "PERSON": v = R.choice(ENAMES) if lang == "en" else kname()
        elif typ == "IP_ADDRESS": v = ipv4() if R.random() < .6 else ipv6()
        else: v = GEN[typ]()
        if typ in ("PHONE_NUMBER", "KR_RRN") and R.random() < .1: v = wide(v)
        pre, post = tpl.split("{}")
        if typ == "IP_ADDRESS" and ":" in v and post.startswith(":"):
            pre, post = pre + "[", "]" + post  # an IPv6 address with a port is written in brackets (RFC 5952 section 6)
        emit(style, lang, [pre, (typ, v), post])

# Mixed sentences with two identifiers.
for i in range(25):
    n, p = kname(), phone()
    emit("doc", "ko", ["성명: ", ("PERSON", n), ", 연락처: ", ("PHONE_NUMBER", p), ", 이메일: ", ("EMAIL_ADDRESS", email())])
for i in range(10):
    emit("chat", "en", ["hi, I'm ", "new here. passport ", ("KR_PASSPORT", passport()), " and phone ", ("PHONE_NUMBER", phone())])

# Hard negatives: no entities.
def wrong_rrn_pre2020():
    while True:
        x = rrn_digits(valid=False)
        if int(x[:2]) > 25 or x[6] in "12": return x
NEG = [
 lambda: f"주문번호 {wrong_rrn_pre2020()[:6]}-{wrong_rrn_pre2020()[6:]} 배송 완료",
 lambda: f"{(lambda x: x[:6] + '-' + x[6:])(wrong_rrn_pre2020())} 은 접수 코드입니다",
 lambda: f"Order #{bad_card()} shipped",
 lambda: f"송장번호 {d(12)} 조회",
 lambda: f"회의는 2024-{R.randrange(1, 13):02d}-{R.randrange(1, 29):02d} {R.randrange(9, 18)}:30에 시작합니다",
 lambda: f"버전 {R.randrange(1, 9)}.{R.randrange(0, 20)}.{R.randrange(0, 30)}.{R.randrange(0, 99)} 배포",
 lambda: f"가격은 {R.randrange(1, 99)},{R.randrange(100, 999)},000원이고 {R.randrange(1500, 1599)}-{R.randrange(2000, 2999)}개 재고",
 lambda: f"모델명 S{d(8)} 시리얼 확인",
 lambda: f"the meeting room is 3{d(2)}, floor {R.randrange(2, 30)}, call ext. {d(4)}",
 lambda: f"ISBN 978-89-{d(4)}-{d(3)}-{d(1)}",
 lambda: f"이름을 적어주세요. 주소를 알려주시면 됩니다.",
 lambda: f"See section {R.randrange(1, 9)}.{R.randrange(1, 9)}.{R.randrange(1, 9)}.{R.randrange(1, 9)} for details",
 lambda: f"거래번호 {d(16)}",
 lambda: f"at 12:{R.randrange(10, 59)}:{R.randrange(10, 59)} the build {d(10)} passed",
 lambda: f"{R.randrange(1990, 2025)}년 {R.randrange(1, 13)}월 {R.randrange(1, 28)}일 기준 {R.randrange(10, 99)}가지 항목",
]
for i in range(60):
    style = R.choice(["chat", "doc"])
    f = R.choice(NEG); text = f()
    out.append({"text": text, "style": style, "lang": "en" if text[0].isascii() and text.isascii() else "ko", "entities": []})

R.shuffle(out)
for o in out:
    print(json.dumps(o, ensure_ascii=False))
