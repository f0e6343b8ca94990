package dev.canaryrelease.testsupport.infra;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;

/**
 * A number from 1 to 250 held by this JVM for as long as one launcher runs, so that parallel test
 * runs on the same machine get distinct bridges, subnets and 127.x addresses. A slot is an
 * exclusive lock on {@code /tmp/canary-release-infra/slot-N.lock}: the kernel frees it when the JVM
 * dies, so a crashed run leaks nothing but a bridge, which the next holder removes.
 */
final class Slot implements AutoCloseable {
    static final Path LOCK_DIR = Path.of("/tmp/canary-release-infra");

    private final int index;
    private final FileChannel channel;
    private final FileLock lock;

    private Slot(int index, FileChannel channel, FileLock lock) {
        this.index = index;
        this.channel = channel;
        this.lock = lock;
    }

    static Slot acquire() {
        try {
            Files.createDirectories(LOCK_DIR);
            int start = (int) (ProcessHandle.current().pid() % 250);
            for (int i = 0; i < 250; i++) {
                int n = 1 + (start + i) % 250;
                FileChannel ch =
                        FileChannel.open(
                                LOCK_DIR.resolve("slot-" + n + ".lock"),
                                StandardOpenOption.CREATE,
                                StandardOpenOption.READ,
                                StandardOpenOption.WRITE);
                FileLock lock;
                try {
                    lock = ch.tryLock();
                } catch (OverlappingFileLockException e) {
                    lock = null;
                }
                if (lock != null) {
                    return new Slot(n, ch, lock);
                }
                ch.close();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot take an infra slot in " + LOCK_DIR, e);
        }
        throw new IllegalStateException("all 250 infra slots in " + LOCK_DIR + " are taken");
    }

    int index() {
        return index;
    }

    /**
     * The folder the previous holder of this slot recorded, if it still exists: a JVM that was
     * killed (SIGKILL) before closing its engine left it, with its dockerd still running.
     */
    Optional<Path> leftoverDir() {
        try {
            ByteBuffer buf = ByteBuffer.allocate(4096);
            int n = channel.read(buf, 0);
            if (n <= 0) {
                return Optional.empty();
            }
            String text = new String(buf.array(), 0, n, StandardCharsets.UTF_8).strip();
            if (!text.startsWith("/tmp/crd")) {
                return Optional.empty();
            }
            Path dir = Path.of(text);
            return Files.isDirectory(dir) ? Optional.of(dir) : Optional.empty();
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** Records the folder this holder works in, for {@link #leftoverDir()} of a later holder. */
    void record(Path dir) {
        try {
            channel.truncate(0);
            channel.write(ByteBuffer.wrap(dir.toString().getBytes(StandardCharsets.UTF_8)), 0);
            channel.force(false);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Records that nothing is left behind. */
    void clear() {
        try {
            channel.truncate(0);
        } catch (IOException e) {
            // best effort
        }
    }

    @Override
    public void close() {
        try {
            lock.release();
            channel.close();
        } catch (IOException e) {
            // released with the channel anyway
        }
    }
}
