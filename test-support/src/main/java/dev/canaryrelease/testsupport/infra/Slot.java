package dev.canaryrelease.testsupport.infra;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

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
