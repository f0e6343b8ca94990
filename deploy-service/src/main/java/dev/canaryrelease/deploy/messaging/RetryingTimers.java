package dev.canaryrelease.deploy.messaging;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.jboss.logging.Logger;

/**
 * The engine's timers (autoPromote after the bake time, the promotion deadline). A plain {@link
 * ScheduledExecutorService} keeps a task's exception in a future nobody reads; here a task that
 * throws is logged with its release and name and run again after a back-off ({@code firstPause},
 * doubling up to {@code maxPause}) until it completes. A timer task re-reads the release before it
 * acts, so running it again after the release moved on does nothing.
 */
final class RetryingTimers {
    private final ScheduledExecutorService executor;
    private final Duration firstPause;
    private final Duration maxPause;
    private final Logger log;

    RetryingTimers(String threadName, Duration firstPause, Duration maxPause, Logger log) {
        this.executor =
                Executors.newSingleThreadScheduledExecutor(
                        r -> {
                            Thread t = new Thread(r, threadName);
                            t.setDaemon(true);
                            return t;
                        });
        this.firstPause = firstPause;
        this.maxPause = maxPause;
        this.log = log;
    }

    /** Runs {@code body} at {@code when} (at once if that is past), again after each failure. */
    void at(Instant when, String releaseId, String task, Runnable body) {
        long delay = Math.max(0, Duration.between(Instant.now(), when).toNanos());
        schedule(delay, releaseId, task, body, 1, firstPause);
    }

    private void schedule(
            long delayNanos,
            String releaseId,
            String task,
            Runnable body,
            int attempt,
            Duration pause) {
        executor.schedule(
                () -> run(releaseId, task, body, attempt, pause), delayNanos, TimeUnit.NANOSECONDS);
    }

    private void run(String releaseId, String task, Runnable body, int attempt, Duration pause) {
        try {
            body.run();
            if (attempt > 1) {
                log.infof("release %s: timer task %s done at attempt %d", releaseId, task, attempt);
            }
        } catch (RuntimeException | Error e) {
            log.errorf(
                    e,
                    "release %s: timer task %s failed (attempt %d), trying again in %d ms",
                    releaseId,
                    task,
                    attempt,
                    pause.toMillis());
            if (executor.isShutdown()) return;
            Duration next = pause.multipliedBy(2);
            schedule(
                    pause.toNanos(),
                    releaseId,
                    task,
                    body,
                    attempt + 1,
                    next.compareTo(maxPause) > 0 ? maxPause : next);
        }
    }

    void shutdownNow() {
        executor.shutdownNow();
    }
}
