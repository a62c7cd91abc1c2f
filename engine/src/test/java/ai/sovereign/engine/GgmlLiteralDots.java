package ai.sovereign.engine;

import java.util.Arrays;

/**
 * Line-by-line transliterations of ggml's generic vec_dot functions (ggml-cpu/quants.c), with the
 * C code's aux arrays and its utmp/kmask scale unpacking, over a plain byte[] copy of the weight row.
 * Deliberately unoptimized and independent of the kernels, so the kernels can be checked bit for bit.
 */
final class GgmlLiteralDots {
    private GgmlLiteralDots() {}

    private static float half(byte[] b, int at) {
        return Float.float16ToFloat((short) ((b[at] & 0xFF) | (b[at + 1] << 8)));
    }

    private static int u8(byte[] b, int at) {
        return b[at] & 0xFF;
    }

    private static int int32(byte[] b, int at) {
        return (b[at] & 0xFF) | (b[at + 1] & 0xFF) << 8 | (b[at + 2] & 0xFF) << 16 | (b[at + 3] & 0xFF) << 24;
    }

    static float dot(GgmlType type, byte[] x, int n, PreparedActivations y) {
        return switch (type) {
            case F32, F16, BF16 -> floatDot(type, x, n, y);
            case Q4_0 -> q4_0(x, n, y);
            case Q4_1 -> q4_1(x, n, y);
            case Q5_0 -> q5_0(x, n, y);
            case Q5_1 -> q5_1(x, n, y);
            case Q8_0 -> q8_0(x, n, y);
            case Q4_K, Q5_K -> q45_K(type == GgmlType.Q5_K, x, n, y);
            case Q6_K -> q6_K(x, n, y);
            default -> throw new IllegalArgumentException(type.toString());
        };
    }

    private static float floatDot(GgmlType type, byte[] x, int n, PreparedActivations y) {
        double sumf = 0;
        for (int i = 0; i < n; i++) {
            float w = switch (type) {
                case F32 -> Float.intBitsToFloat(int32(x, 4 * i));
                case F16 -> half(x, 2 * i);
                default -> Float.intBitsToFloat(((x[2 * i] & 0xFF) | (x[2 * i + 1] & 0xFF) << 8) << 16);
            };
            sumf += (double) (w * y.values[i]);
        }
        return (float) sumf;
    }

    private static float q4_0(byte[] x, int n, PreparedActivations y) {
        float sumf = 0;
        for (int ib = 0; ib < n / 32; ++ib) {
            int b = ib * 18;
            int sumi0 = 0;
            int sumi1 = 0;
            for (int j = 0; j < 16; ++j) {
                int v0 = (u8(x, b + 2 + j) & 0x0F) - 8;
                int v1 = (u8(x, b + 2 + j) >> 4) - 8;
                sumi0 += v0 * y.qs[ib * 32 + j];
                sumi1 += v1 * y.qs[ib * 32 + j + 16];
            }
            int sumi = sumi0 + sumi1;
            sumf += sumi * half(x, b) * y.d[ib];
        }
        return sumf;
    }

    private static float q4_1(byte[] x, int n, PreparedActivations y) {
        float sumf = 0;
        for (int ib = 0; ib < n / 32; ++ib) {
            int b = ib * 20;
            int sumi0 = 0;
            int sumi1 = 0;
            for (int j = 0; j < 16; ++j) {
                int v0 = u8(x, b + 4 + j) & 0x0F;
                int v1 = u8(x, b + 4 + j) >> 4;
                sumi0 += v0 * y.qs[ib * 32 + j];
                sumi1 += v1 * y.qs[ib * 32 + j + 16];
            }
            int sumi = sumi0 + sumi1;
            sumf += (half(x, b) * y.d[ib]) * sumi + half(x, b + 2) * y.s[ib];
        }
        return sumf;
    }

    private static float q5_0(byte[] x, int n, PreparedActivations y) {
        float sumf = 0;
        for (int ib = 0; ib < n / 32; ++ib) {
            int b = ib * 22;
            int qh = int32(x, b + 2);
            int sumi0 = 0;
            int sumi1 = 0;
            for (int j = 0; j < 16; ++j) {
                int xh0 = ((qh & (1 << j)) >>> j) << 4;
                int xh1 = (qh & (1 << (j + 16))) >>> (j + 12);
                int x0 = (byte) (((u8(x, b + 6 + j) & 0x0F) | xh0) - 16);
                int x1 = (byte) (((u8(x, b + 6 + j) >> 4) | xh1) - 16);
                sumi0 += x0 * y.qs[ib * 32 + j];
                sumi1 += x1 * y.qs[ib * 32 + j + 16];
            }
            int sumi = sumi0 + sumi1;
            sumf += (half(x, b) * y.d[ib]) * sumi;
        }
        return sumf;
    }

    private static float q5_1(byte[] x, int n, PreparedActivations y) {
        float sumf = 0;
        for (int ib = 0; ib < n / 32; ++ib) {
            int b = ib * 24;
            int qh = int32(x, b + 4);
            int sumi0 = 0;
            int sumi1 = 0;
            for (int j = 0; j < 16; ++j) {
                int xh0 = ((qh >>> j) << 4) & 0x10;
                int xh1 = (qh >>> (j + 12)) & 0x10;
                int x0 = (u8(x, b + 8 + j) & 0xF) | xh0;
                int x1 = (u8(x, b + 8 + j) >> 4) | xh1;
                sumi0 += x0 * y.qs[ib * 32 + j];
                sumi1 += x1 * y.qs[ib * 32 + j + 16];
            }
            int sumi = sumi0 + sumi1;
            sumf += (half(x, b) * y.d[ib]) * sumi + half(x, b + 2) * y.s[ib];
        }
        return sumf;
    }

    private static float q8_0(byte[] x, int n, PreparedActivations y) {
        float sumf = 0;
        for (int ib = 0; ib < n / 32; ++ib) {
            int b = ib * 34;
            int sumi = 0;
            for (int j = 0; j < 32; j++) {
                sumi += x[b + 2 + j] * y.qs[ib * 32 + j];
            }
            sumf += sumi * (half(x, b) * y.d[ib]);
        }
        return sumf;
    }

    private static float q45_K(boolean five, byte[] x, int n, PreparedActivations y) {
        final int kmask1 = 0x3f3f3f3f;
        final int kmask2 = 0x0f0f0f0f;
        final int kmask3 = 0x03030303;
        int blockBytes = five ? 176 : 144;
        int[] utmp = new int[4];
        byte[] aux8 = new byte[256];
        short[] aux16 = new short[8];
        float[] sums = new float[8];
        int[] aux32 = new int[8];
        float sumf = 0;
        for (int i = 0; i < n / 256; ++i) {
            int block = i * blockBytes;
            int q4 = block + (five ? 48 : 16);
            int hm = block + 16;
            int q8 = i * 256;
            Arrays.fill(aux32, 0);
            int a = 0;
            int m = 1;
            for (int j = 0; j < 4; ++j) {
                for (int l = 0; l < 32; ++l) {
                    aux8[a + l] = (byte) (u8(x, q4 + l) & 0xF);
                }
                if (five) {
                    for (int l = 0; l < 32; ++l) {
                        aux8[a + l] += (byte) ((u8(x, hm + l) & m) != 0 ? 16 : 0);
                    }
                }
                a += 32;
                m <<= 1;
                for (int l = 0; l < 32; ++l) {
                    aux8[a + l] = (byte) (u8(x, q4 + l) >> 4);
                }
                if (five) {
                    for (int l = 0; l < 32; ++l) {
                        aux8[a + l] += (byte) ((u8(x, hm + l) & m) != 0 ? 16 : 0);
                    }
                }
                a += 32;
                m <<= 1;
                q4 += 32;
            }
            utmp[0] = int32(x, block + 4);
            utmp[1] = int32(x, block + 8);
            utmp[2] = int32(x, block + 12);
            utmp[3] = ((utmp[2] >>> 4) & kmask2) | (((utmp[1] >>> 6) & kmask3) << 4);
            int uaux = utmp[1] & kmask1;
            utmp[1] = (utmp[2] & kmask2) | (((utmp[0] >>> 6) & kmask3) << 4);
            utmp[2] = uaux;
            utmp[0] &= kmask1;
            int sumi = 0;
            for (int j = 0; j < 16; ++j) {
                sumi += y.bsums[i * 16 + j] * ((utmp[2 + (j / 2) / 4] >>> (8 * ((j / 2) % 4))) & 0xFF);
            }
            a = 0;
            int is = 0;
            for (int j = 0; j < 8; ++j) {
                int scale = (utmp[is / 4] >>> (8 * (is % 4))) & 0xFF;
                is++;
                for (int k = 0; k < 4; ++k) {
                    for (int l = 0; l < 8; ++l) {
                        aux16[l] = (short) (y.qs[q8 + l] * aux8[a + l]);
                    }
                    for (int l = 0; l < 8; ++l) {
                        aux32[l] += scale * aux16[l];
                    }
                    q8 += 8;
                    a += 8;
                }
            }
            float d = half(x, block) * y.d[i];
            for (int l = 0; l < 8; ++l) {
                sums[l] += d * aux32[l];
            }
            float dmin = half(x, block + 2) * y.d[i];
            sumf -= dmin * sumi;
        }
        for (int l = 0; l < 8; ++l) {
            sumf += sums[l];
        }
        return sumf;
    }

    private static float q6_K(byte[] x, int n, PreparedActivations y) {
        byte[] aux8 = new byte[256];
        short[] aux16 = new short[8];
        float[] sums = new float[8];
        int[] aux32 = new int[8];
        float sumf = 0;
        for (int i = 0; i < n / 256; ++i) {
            int block = i * 210;
            int q4 = block;
            int qh = block + 128;
            int q8 = i * 256;
            Arrays.fill(aux32, 0);
            int a = 0;
            for (int j = 0; j < 256; j += 128) {
                for (int l = 0; l < 32; ++l) {
                    aux8[a + l] = (byte) (((u8(x, q4 + l) & 0xF) | (((u8(x, qh + l) >> 0) & 3) << 4)) - 32);
                    aux8[a + l + 32] = (byte) (((u8(x, q4 + l + 32) & 0xF) | (((u8(x, qh + l) >> 2) & 3) << 4)) - 32);
                    aux8[a + l + 64] = (byte) (((u8(x, q4 + l) >> 4) | (((u8(x, qh + l) >> 4) & 3) << 4)) - 32);
                    aux8[a + l + 96] = (byte) (((u8(x, q4 + l + 32) >> 4) | (((u8(x, qh + l) >> 6) & 3) << 4)) - 32);
                }
                a += 128;
                q4 += 64;
                qh += 32;
            }
            a = 0;
            int is = 0;
            for (int j = 0; j < 16; ++j) {
                int scale = x[block + 192 + is++];
                for (int k = 0; k < 2; ++k) {
                    for (int l = 0; l < 8; ++l) {
                        aux16[l] = (short) (y.qs[q8 + l] * aux8[a + l]);
                    }
                    for (int l = 0; l < 8; ++l) {
                        aux32[l] += scale * aux16[l];
                    }
                    q8 += 8;
                    a += 8;
                }
            }
            float d = half(x, block + 208) * y.d[i];
            for (int l = 0; l < 8; ++l) {
                sums[l] += d * aux32[l];
            }
        }
        for (int l = 0; l < 8; ++l) {
            sumf += sums[l];
        }
        return sumf;
    }
}
