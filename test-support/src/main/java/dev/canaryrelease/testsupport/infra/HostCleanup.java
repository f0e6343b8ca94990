package dev.canaryrelease.testsupport.infra;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/** Removes what a launcher left on the host: mounts under its folder, processes, the folder. */
final class HostCleanup {
    private HostCleanup() {}

    /** Mount points at or under {@code dir}, deepest first (from /proc/self/mountinfo). */
    static List<String> mountsUnder(Path dir) {
        String prefix = dir.toAbsolutePath().normalize().toString();
        List<String> mounts = new ArrayList<>();
        try {
            for (String line :
                    Files.readAllLines(Path.of("/proc/self/mountinfo"), StandardCharsets.UTF_8)) {
                String[] f = line.split(" ");
                if (f.length > 4) {
                    String mp = unescape(f[4]);
                    if (mp.equals(prefix) || mp.startsWith(prefix + "/")) {
                        mounts.add(mp);
                    }
                }
            }
        } catch (IOException e) {
            return List.of();
        }
        mounts.sort(Comparator.comparingInt(String::length).reversed());
        return mounts;
    }

    /** Unmounts everything at or under {@code dir} (lazily if busy). */
    static void unmountAll(Path dir) {
        for (int round = 0; round < 3; round++) {
            List<String> mounts = mountsUnder(dir);
            if (mounts.isEmpty()) {
                return;
            }
            for (String mp : mounts) {
                if (!Exec.run("umount", mp).ok()) {
                    Exec.run("umount", "-l", mp);
                }
            }
        }
    }

    /**
     * Pids of processes whose command line names {@code dir} (e.g. containerd and its shims started
     * for one engine's exec root), so a forced stop leaves none behind.
     */
    static List<Long> processesNaming(Path dir) {
        String needle = dir.toAbsolutePath().normalize().toString();
        List<Long> pids = new ArrayList<>();
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path p : (Iterable<Path>) procs::iterator) {
                String n = p.getFileName().toString();
                if (!n.chars().allMatch(Character::isDigit)) {
                    continue;
                }
                try {
                    String cmd =
                            new String(
                                            Files.readAllBytes(p.resolve("cmdline")),
                                            StandardCharsets.UTF_8)
                                    .replace('\0', ' ');
                    if (cmd.contains(needle)) {
                        pids.add(Long.parseLong(n));
                    }
                } catch (IOException e) {
                    // the process is gone
                }
            }
        } catch (IOException e) {
            return List.of();
        }
        return pids;
    }

    static void killProcessesNaming(Path dir) {
        long self = ProcessHandle.current().pid();
        for (long pid : processesNaming(dir)) {
            if (pid != self) {
                ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
            }
        }
    }

    static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        if (!mountsUnder(dir).isEmpty()) {
            throw new IllegalStateException(
                    "not deleting " + dir + ": still mounted: " + mountsUnder(dir));
        }
        try {
            Files.walkFileTree(
                    dir,
                    new SimpleFileVisitor<>() {
                        @Override
                        public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
                                throws IOException {
                            Files.deleteIfExists(file);
                            return FileVisitResult.CONTINUE;
                        }

                        @Override
                        public FileVisitResult postVisitDirectory(Path d, IOException exc)
                                throws IOException {
                            Files.deleteIfExists(d);
                            return FileVisitResult.CONTINUE;
                        }
                    });
        } catch (IOException e) {
            Exec.run("rm", "-rf", "--one-file-system", dir.toString());
        }
    }

    private static String unescape(String s) {
        return s.replace("\\040", " ")
                .replace("\\011", "\t")
                .replace("\\012", "\n")
                .replace("\\134", "\\");
    }
}
