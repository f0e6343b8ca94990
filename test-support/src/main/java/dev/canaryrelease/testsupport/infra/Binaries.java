package dev.canaryrelease.testsupport.infra;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Finds the real Debian binaries the launchers start. A missing one is an error that names the
 * Debian package to install, never a skipped test.
 */
public final class Binaries {
    private static final List<String> SYSTEM_DIRS =
            List.of("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin");

    private Binaries() {}

    /**
     * The absolute path of {@code binary} (searched in {@code PATH}, then the usual system
     * folders), or an {@link IllegalStateException} naming {@code debianPackage}.
     */
    public static Path require(String binary, String debianPackage) {
        List<String> dirs = new ArrayList<>();
        String path = System.getenv("PATH");
        if (path != null) {
            dirs.addAll(List.of(path.split(":")));
        }
        dirs.addAll(SYSTEM_DIRS);
        for (String dir : dirs) {
            if (dir.isEmpty()) {
                continue;
            }
            Path candidate = Path.of(dir, binary);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return candidate.toAbsolutePath();
            }
        }
        throw new IllegalStateException(
                "'"
                        + binary
                        + "' is not installed: install the Debian package '"
                        + debianPackage
                        + "' (apt-get install -y "
                        + debianPackage
                        + ")");
    }

    /** {@code /bin/busybox}, checked to be statically linked (it runs in a FROM scratch image). */
    public static Path staticBusybox() {
        Path busybox = require("busybox", "busybox-static");
        if (!Elf.isStatic(busybox)) {
            throw new IllegalStateException(
                    busybox
                            + " is dynamically linked and cannot run in a FROM scratch image:"
                            + " install the Debian package 'busybox-static' (apt-get install -y"
                            + " busybox-static)");
        }
        return busybox;
    }
}
