package dev.canaryrelease.builder.rest;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;

import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.subscription.MultiEmitter;

import dev.canaryrelease.builder.domain.BuildRecord;
import dev.canaryrelease.builder.domain.BuildStore;
import dev.canaryrelease.builder.messaging.BuildQueue;

/** Builds and their logs. */
@jakarta.ws.rs.Path("/builds/{releaseId}")
public class BuildResource {
    /** How often a followed log is checked for new lines. */
    static final long FOLLOW_POLL_MS = 200;

    private final BuildStore store;
    private final BuildQueue queue;

    public BuildResource(BuildStore store, BuildQueue queue) {
        this.store = store;
        this.queue = queue;
    }

    /** Status and timings of a release's build; 404 if this service never saw it. */
    @GET
    @Produces(MediaType.APPLICATION_JSON)
    public BuildView get(@PathParam("releaseId") String releaseId) {
        return BuildView.of(record(releaseId));
    }

    /**
     * The build's log as plain text. With {@code follow=true} the response streams (chunked) the
     * lines as they are written until the build ends.
     */
    @GET
    @jakarta.ws.rs.Path("log")
    @Produces(MediaType.TEXT_PLAIN)
    public Multi<String> log(
            @PathParam("releaseId") String releaseId, @QueryParam("follow") boolean follow) {
        record(releaseId);
        Path file = store.logFile(releaseId);
        if (!follow) {
            return Multi.createFrom()
                    .item(
                            () -> {
                                try {
                                    return Files.exists(file) ? Files.readString(file) : "";
                                } catch (IOException e) {
                                    throw new UncheckedIOException(e);
                                }
                            })
                    .filter(s -> !s.isEmpty());
        }
        return Multi.createFrom().emitter(em -> follow(releaseId, file, em));
    }

    private BuildRecord record(String releaseId) {
        if (!BuildStore.safeId(releaseId)) {
            throw new NotFoundException();
        }
        return store.get(releaseId)
                .orElseThrow(() -> new NotFoundException("no build of release " + releaseId));
    }

    /** Emits the file's complete lines as they are written, then completes when the build ends. */
    private void follow(String releaseId, Path file, MultiEmitter<? super String> em) {
        long[] offset = {0};
        AtomicBoolean done = new AtomicBoolean();
        AtomicReference<ScheduledFuture<?>> task = new AtomicReference<>();
        Runnable stop =
                () -> {
                    done.set(true);
                    ScheduledFuture<?> f = task.get();
                    if (f != null) {
                        f.cancel(false);
                    }
                };
        Runnable tick =
                () -> {
                    if (done.get()) {
                        return;
                    }
                    try {
                        boolean ended =
                                store.get(releaseId).map(r -> r.status().terminal()).orElse(true)
                                        && !queue.active(releaseId);
                        for (String chunk = read(file, offset, ended);
                                !chunk.isEmpty();
                                chunk = read(file, offset, ended)) {
                            em.emit(chunk);
                        }
                        if (ended) {
                            stop.run();
                            em.complete();
                        }
                    } catch (IOException | RuntimeException e) {
                        stop.run();
                        em.fail(e);
                    }
                };
        em.onTermination(stop);
        task.set(
                queue.timer()
                        .scheduleWithFixedDelay(tick, 0, FOLLOW_POLL_MS, TimeUnit.MILLISECONDS));
        if (done.get()) {
            task.get().cancel(false);
        }
    }

    /** Reads from {@code offset} up to the last complete line (everything once {@code all}). */
    static String read(Path file, long[] offset, boolean all) throws IOException {
        if (!Files.exists(file)) {
            return "";
        }
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
            long len = f.length();
            if (len <= offset[0]) {
                return "";
            }
            byte[] buf = new byte[(int) Math.min(len - offset[0], 1 << 20)];
            f.seek(offset[0]);
            f.readFully(buf);
            int end = buf.length;
            if (!all) {
                while (end > 0 && buf[end - 1] != '\n') {
                    end--;
                }
            }
            offset[0] += end;
            return new String(buf, 0, end, StandardCharsets.UTF_8);
        }
    }
}
