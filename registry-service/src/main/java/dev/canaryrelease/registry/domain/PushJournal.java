package dev.canaryrelease.registry.domain;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;

/**
 * The durable queue between the notification endpoint and the workers, and the dedupe memory.
 *
 * <p>The registry redelivers only what was not answered with a 2xx. So an accepted push is appended
 * (and forced to disk) here <em>before</em> the 200; a worker marks it done once {@code
 * image.pushed} is acknowledged by Kafka (or the push was judged not to need one). After a restart
 * the pending pushes are processed again, and the done keys still drop redeliveries. A crash
 * between the publish and the "done" line publishes the same push twice (at least once, like the
 * rest of the suite; consumers are idempotent).
 *
 * <p>The file ({@code push-queue.jsonl}) is JSON lines: {@code {"op":"queued","push":{...}}} and
 * {@code {"op":"done","key":"..."}}. It is rewritten (compacted) when it grows past a few times the
 * dedupe capacity; an unreadable line (a torn last write) is skipped.
 */
public final class PushJournal implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(PushJournal.class);
    private static final ObjectMapper JSON =
            new ObjectMapper()
                    .registerModule(new JavaTimeModule())
                    .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
                    .setSerializationInclusion(JsonInclude.Include.NON_NULL);
    static final String FILE = "push-queue.jsonl";

    record Line(String op, ManifestPush push, String key) {}

    private final Path file;
    private final boolean fsync;
    private final int capacity;
    private final LinkedHashMap<String, ManifestPush> pending = new LinkedHashMap<>();
    private final LinkedHashSet<String> done = new LinkedHashSet<>();
    private FileChannel channel;
    private int lines;

    /** Count of appends so far, and the highest one known to be on disk. */
    private long generation;

    private final Object forceLock = new Object();
    private long forced;

    private PushJournal(Path file, boolean fsync, int capacity) {
        this.file = file;
        this.fsync = fsync;
        this.capacity = Math.max(1, capacity);
    }

    /** Opens (and replays) the journal in {@code dir}, creating it if needed. */
    public static PushJournal open(Path dir, boolean fsync, int capacity) {
        try {
            Files.createDirectories(dir);
            PushJournal j = new PushJournal(dir.resolve(FILE), fsync, capacity);
            j.replay();
            j.compact();
            return j;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the push queue in " + dir, e);
        }
    }

    private void replay() throws IOException {
        if (!Files.exists(file)) {
            return;
        }
        int n = 0;
        for (String s : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            n++;
            if (s.isBlank()) continue;
            Line l;
            try {
                l = JSON.readValue(s, Line.class);
            } catch (IOException e) {
                LOG.warnf("%s:%d: unreadable line skipped", file, n);
                continue;
            }
            if ("queued".equals(l.op()) && l.push() != null) {
                if (!done.contains(l.push().key())) {
                    pending.put(l.push().key(), l.push());
                }
            } else if ("done".equals(l.op()) && l.key() != null) {
                pending.remove(l.key());
                remember(l.key());
            }
        }
    }

    /** Appends the pushes not seen before (neither pending nor done); returns them. */
    private synchronized List<ManifestPush> enqueue(List<ManifestPush> pushes) {
        List<ManifestPush> fresh = new ArrayList<>(pushes.size());
        StringBuilder out = new StringBuilder();
        for (ManifestPush p : pushes) {
            String k = p.key();
            if (pending.containsKey(k) || done.contains(k)) {
                continue;
            }
            pending.put(k, p);
            fresh.add(p);
            out.append(json(new Line("queued", p, null))).append('\n');
        }
        if (!fresh.isEmpty()) {
            try {
                append(out.toString(), false);
            } catch (UncheckedIOException e) {
                fresh.forEach(p -> pending.remove(p.key()));
                throw e;
            }
        }
        return fresh;
    }

    /**
     * Queues the pushes not seen before (neither pending nor done). They are written to the file
     * (so they survive the process dying) before this returns; when the journal forces writes, also
     * on disk (so they survive the machine), and concurrent callers share one {@code fsync} (group
     * commit): the one that forces covers every line written before it.
     *
     * @return the pushes queued now; the others are redeliveries
     */
    public List<ManifestPush> offer(List<ManifestPush> pushes) {
        List<ManifestPush> fresh;
        long mine;
        synchronized (this) {
            fresh = enqueue(pushes);
            mine = generation;
        }
        if (fsync && !fresh.isEmpty()) {
            awaitForced(mine);
        }
        return fresh;
    }

    private void awaitForced(long upTo) {
        synchronized (forceLock) {
            if (forced >= upTo) {
                return;
            }
            long target;
            FileChannel c;
            synchronized (this) {
                target = generation;
                c = channel;
            }
            try {
                c.force(false);
            } catch (java.nio.channels.ClosedChannelException e) {
                // compacted meanwhile: the compaction forced everything it rewrote
            } catch (IOException e) {
                throw new UncheckedIOException("cannot force " + file, e);
            }
            forced = Math.max(forced, target);
        }
    }

    /** Marks a push processed: it is no longer pending, and its key keeps dropping redeliveries. */
    public synchronized void done(String key) {
        if (pending.remove(key) == null && done.contains(key)) {
            return;
        }
        remember(key);
        // Not forced: losing it in a crash only means processing the push once more.
        append(json(new Line("done", null, key)) + "\n", false);
        if (lines > 4 * capacity + 64) {
            try {
                compact();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot compact " + file, e);
            }
        }
    }

    /** Whether {@link #offer} forces its writes to disk. */
    public boolean forces() {
        return fsync;
    }

    /** Pushes accepted but not processed yet, oldest first. */
    public synchronized List<ManifestPush> pending() {
        return List.copyOf(pending.values());
    }

    /** Whether this push was already accepted (pending or done). */
    public synchronized boolean seen(String key) {
        return pending.containsKey(key) || done.contains(key);
    }

    private void remember(String key) {
        done.remove(key);
        done.add(key);
        Iterator<String> it = done.iterator();
        while (done.size() > capacity && it.hasNext()) {
            it.next();
            it.remove();
        }
    }

    private void compact() throws IOException {
        if (channel != null) {
            channel.close();
        }
        Path tmp = file.resolveSibling(FILE + ".tmp");
        StringBuilder out = new StringBuilder();
        for (String k : done) {
            out.append(json(new Line("done", null, k))).append('\n');
        }
        for (ManifestPush p : pending.values()) {
            out.append(json(new Line("queued", p, null))).append('\n');
        }
        try (FileChannel c =
                FileChannel.open(
                        tmp,
                        StandardOpenOption.CREATE,
                        StandardOpenOption.TRUNCATE_EXISTING,
                        StandardOpenOption.WRITE)) {
            c.write(ByteBuffer.wrap(out.toString().getBytes(StandardCharsets.UTF_8)));
            c.force(true);
        }
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        lines = done.size() + pending.size();
        // Everything up to here was forced with the rewritten file.
        generation++;
        channel =
                FileChannel.open(
                        file,
                        StandardOpenOption.CREATE,
                        StandardOpenOption.WRITE,
                        StandardOpenOption.APPEND);
    }

    private void append(String text, boolean force) {
        try {
            ByteBuffer buf = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
            while (buf.hasRemaining()) {
                channel.write(buf);
            }
            if (force) {
                channel.force(false);
            }
            lines += (int) text.chars().filter(c -> c == '\n').count();
            generation++;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    private static String json(Line l) {
        try {
            return JSON.writeValueAsString(l);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public synchronized void close() {
        try {
            if (channel != null) {
                channel.close();
            }
        } catch (IOException e) {
            LOG.debugf("closing %s: %s", file, e);
        }
    }
}
