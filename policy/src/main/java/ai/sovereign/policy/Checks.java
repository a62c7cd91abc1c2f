package ai.sovereign.policy;

import java.time.LocalDate;

/**
 * Check digits and field validity of Korean identifiers, on digit arrays (0–9 values), per the spec
 * {@code trust-log-and-korean-pii.md} B.1. All methods are pure.
 */
final class Checks {
    private Checks() {}

    private static final int[] RRN_WEIGHTS = {2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5};

    private static int rrnSum(int[] d, int off) {
        int sum = 0;
        for (int i = 0; i < 12; i++) {
            sum += RRN_WEIGHTS[i] * d[off + i];
        }
        return sum;
    }

    /** Old-scheme RRN check digit: (11 − sum mod 11) mod 10. */
    static boolean rrnCheck(int[] d, int off) {
        return (11 - rrnSum(d, off) % 11) % 10 == d[off + 12];
    }

    /** Old-scheme FRN check digit: (13 − sum mod 11) mod 10. */
    static boolean frnCheck(int[] d, int off) {
        return (13 - rrnSum(d, off) % 11) % 10 == d[off + 12];
    }

    /** Corporate registration number: weights 1,2,1,2… plain products, (10 − sum mod 10) mod 10. */
    static boolean crnCheck(int[] d, int off) {
        int sum = 0;
        for (int i = 0; i < 12; i++) {
            sum += d[off + i] * ((i & 1) == 0 ? 1 : 2);
        }
        return (10 - sum % 10) % 10 == d[off + 12];
    }

    private static final int[] BRN_WEIGHTS = {1, 3, 7, 1, 3, 7, 1, 3, 5};

    /** Business registration number (NTS): weights 1,3,7,1,3,7,1,3,5 plus floor(5·d9/10). */
    static boolean brnCheck(int[] d, int off) {
        int sum = 0;
        for (int i = 0; i < 9; i++) {
            sum += BRN_WEIGHTS[i] * d[off + i];
        }
        sum += (5 * d[off + 8]) / 10;
        return (10 - sum % 10) % 10 == d[off + 9];
    }

    /** Luhn (ISO/IEC 7812-1) over {@code len} digits. */
    static boolean luhn(int[] d, int off, int len) {
        int sum = 0;
        boolean dbl = false;
        for (int i = off + len - 1; i >= off; i--) {
            int v = d[i];
            if (dbl) {
                v *= 2;
                if (v > 9) {
                    v -= 9;
                }
            }
            sum += v;
            dbl = !dbl;
        }
        return sum % 10 == 0;
    }

    static int num(int[] d, int off, int len) {
        int v = 0;
        for (int i = 0; i < len; i++) {
            v = v * 10 + d[off + i];
        }
        return v;
    }

    /** The birth date of an RRN/FRN (YYMMDD plus the century from the 7th digit), or null when it is not a date. */
    static LocalDate birthDate(int[] d, int off) {
        int s = d[off + 6];
        int century = switch (s) {
            case 1, 2, 5, 6 -> 1900;
            case 3, 4, 7, 8 -> 2000;
            default -> -1;
        };
        if (century < 0) {
            return null;
        }
        int year = century + num(d, off, 2);
        int month = num(d, off + 2, 2);
        int day = num(d, off + 4, 2);
        if (month < 1 || month > 12 || day < 1 || day > 31) {
            return null;
        }
        if (day > java.time.YearMonth.of(year, month).lengthOfMonth()) {
            return null;
        }
        return LocalDate.of(year, month, day);
    }

    /** Driver's-licence region codes: 11–26 and 28 (27 is unused). */
    static boolean licenceRegion(int code) {
        return (code >= 11 && code <= 26) || code == 28;
    }
}
