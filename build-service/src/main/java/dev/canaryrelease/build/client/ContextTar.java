package dev.canaryrelease.build.client;

import java.io.IOException;
import java.io.InputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/**
 * A build context as an uncompressed tar, written by a helper thread while the engine reads it:
 * files keep their permission bits (an executable stays executable), symbolic links stay links.
 */
final class ContextTar {
    private ContextTar() {}

    static InputStream stream(Path context) throws IOException {
        PipedInputStream in = new PipedInputStream(1 << 16);
        PipedOutputStream out = new PipedOutputStream(in);
        Thread writer =
                new Thread(
                        () -> {
                            try (TarArchiveOutputStream tar = new TarArchiveOutputStream(out)) {
                                tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
                                tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
                                write(context, tar);
                            } catch (IOException | UncheckedIOException e) {
                                // the reader sees the stream end early and the build fails
                                try {
                                    out.close();
                                } catch (IOException ignored) {
                                    // closed
                                }
                            }
                        },
                        "build-context-tar");
        writer.setDaemon(true);
        writer.start();
        return in;
    }

    private static void write(Path context, TarArchiveOutputStream tar) throws IOException {
        List<Path> paths;
        try (Stream<Path> walk = Files.walk(context)) {
            paths = walk.filter(p -> !p.equals(context)).sorted().toList();
        }
        for (Path p : paths) {
            Path rel = context.relativize(p);
            if (rel.getName(0).toString().equals(".git")) {
                continue;
            }
            String name = rel.toString().replace('\\', '/');
            if (Files.isSymbolicLink(p)) {
                TarArchiveEntry e = new TarArchiveEntry(name, TarConstants.LF_SYMLINK);
                e.setLinkName(Files.readSymbolicLink(p).toString());
                tar.putArchiveEntry(e);
                tar.closeArchiveEntry();
            } else if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                TarArchiveEntry e = new TarArchiveEntry(name + "/");
                e.setMode(TarArchiveEntry.DEFAULT_DIR_MODE);
                tar.putArchiveEntry(e);
                tar.closeArchiveEntry();
            } else if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                TarArchiveEntry e = new TarArchiveEntry(name);
                e.setSize(Files.size(p));
                e.setMode(mode(p));
                tar.putArchiveEntry(e);
                Files.copy(p, tar);
                tar.closeArchiveEntry();
            }
        }
        tar.finish();
    }

    private static int mode(Path p) throws IOException {
        Set<PosixFilePermission> perms = Files.getPosixFilePermissions(p);
        int mode = 0100000;
        int bit = 0400;
        for (PosixFilePermission x : PosixFilePermission.values()) {
            if (perms.contains(x)) {
                mode |= bit;
            }
            bit >>= 1;
        }
        return mode;
    }
}
