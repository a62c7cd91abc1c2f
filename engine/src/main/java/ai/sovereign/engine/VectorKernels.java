package ai.sovereign.engine;

import java.util.Optional;

/**
 * Chooses, once per JVM, which row kernels {@link RowKernel#fastest} hands out: the Vector API
 * kernels of one width ({@link VectorRowKernels128}, {@link VectorRowKernels256},
 * {@link VectorRowKernels512}) or the scalar reference.
 *
 * <p>The width is the preferred vector shape of the platform ({@code VectorShape.preferredShape()}),
 * unless the system property {@value #PROPERTY} says 128, 256, 512, or 0 (scalar). Without the
 * {@code jdk.incubator.vector} module in the boot layer, or with a preferred shape under 128 bits,
 * the scalar kernels are used. The choice and its reason are logged once, at first use.
 *
 * <p>This class refers to the Vector API only through the per-width classes, which are loaded only
 * after the module check, so it works (falling back to scalar) on a JVM started without
 * {@code --add-modules jdk.incubator.vector}.
 */
final class VectorKernels {
    static final String PROPERTY = "sovereign.vector.bits";

    private VectorKernels() {}

    /** The width the kernels of {@link RowKernel#fastest} use, 0 for the scalar reference, and why. */
    record Choice(int bits, String reason) {}

    private static final class Holder {
        static final Choice CHOICE = choose();

        static {
            System.getLogger("ai.sovereign.engine.kernels").log(System.Logger.Level.INFO,
                    "row kernels: " + (CHOICE.bits() == 0 ? "scalar" : "Vector API " + CHOICE.bits() + "-bit")
                            + " (" + CHOICE.reason() + ")");
        }
    }

    static Choice choice() {
        return Holder.CHOICE;
    }

    static boolean vectorModulePresent() {
        return ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
    }

    private static Choice choose() {
        if (!vectorModulePresent()) {
            return new Choice(0, "module jdk.incubator.vector not in the boot layer; add --add-modules jdk.incubator.vector");
        }
        int preferred = PreferredShape.bits();
        String requested = System.getProperty(PROPERTY);
        if (requested != null && !requested.isBlank()) {
            int bits;
            try {
                bits = Integer.parseInt(requested.trim());
            } catch (NumberFormatException e) {
                return new Choice(preferredOrScalar(preferred), PROPERTY + "=" + requested + " is not a number; using the preferred "
                        + preferred + "-bit shape");
            }
            if (bits == 0) {
                return new Choice(0, PROPERTY + "=0");
            }
            if (bits == 128 || bits == 256 || bits == 512) {
                return new Choice(bits, PROPERTY + "=" + bits + (bits > preferred
                        ? "; wider than the preferred " + preferred + "-bit shape, so emulated and slow" : ""));
            }
            return new Choice(preferredOrScalar(preferred), PROPERTY + "=" + requested
                    + " is not one of 0, 128, 256, 512; using the preferred " + preferred + "-bit shape");
        }
        if (preferred < 128) {
            return new Choice(0, "preferred vector shape is only " + preferred + " bits");
        }
        return new Choice(Math.min(preferred, 512), "preferred vector shape of this CPU");
    }

    private static int preferredOrScalar(int preferred) {
        return preferred < 128 ? 0 : Math.min(preferred, 512);
    }

    /** Kept apart so that VectorKernels itself never links against jdk.incubator.vector. */
    private static final class PreferredShape {
        static int bits() {
            return jdk.incubator.vector.VectorShape.preferredShape().vectorBitSize();
        }
    }

    /** The fastest kernel for {@code type}: the vector kernel of the chosen width, else the scalar reference. */
    static RowKernel fastest(GgmlType type) {
        return forBits(choice().bits(), type).orElseGet(() -> RowKernel.of(type));
    }

    /** The vector kernel of width {@code bits} for {@code type}; empty for bits 0 or a type without one. */
    static Optional<RowKernel> forBits(int bits, GgmlType type) {
        return Optional.ofNullable(switch (bits) {
            case 0 -> null;
            case 128 -> VectorKernels128.of(type);
            case 256 -> VectorKernels256.of(type);
            case 512 -> VectorKernels512.of(type);
            default -> throw new IllegalArgumentException("vector kernels come in 128, 256 and 512 bits, not " + bits);
        });
    }

    /** The vector {@link ActivationMath}; only called once {@link #choice()} found the vector module. */
    static ActivationMath activationMath() {
        return VectorActivationMath.INSTANCE;
    }

    // One lookup class per width, so a width's class is only loaded when asked for.
    private static final class VectorKernels128 {
        static RowKernel of(GgmlType type) {
            return lookup(VectorRowKernels128.values(), type);
        }
    }

    private static final class VectorKernels256 {
        static RowKernel of(GgmlType type) {
            return lookup(VectorRowKernels256.values(), type);
        }
    }

    private static final class VectorKernels512 {
        static RowKernel of(GgmlType type) {
            return lookup(VectorRowKernels512.values(), type);
        }
    }

    private static RowKernel lookup(RowKernel[] kernels, GgmlType type) {
        for (RowKernel kernel : kernels) {
            if (kernel.type() == type) {
                return kernel;
            }
        }
        return null;
    }
}
