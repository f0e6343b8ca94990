package dev.canaryrelease.common.messaging;

import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.jboss.logging.Logger;

import io.quarkus.runtime.LaunchMode;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.reactive.messaging.health.HealthReport;
import io.smallrye.reactive.messaging.providers.extension.HealthCenter;

/**
 * No service is alive but deaf. SmallRye stops a channel for good when it fails (for example the
 * throttled commit strategy's {@code TooManyMessagesWithoutAckException}, when a record waited too
 * long for its acknowledgement during a broker outage) and only reports it in the liveness check;
 * the process goes on running, reading nothing. This watchdog reads the channels' liveness every
 * {@code canary.channels.watch-interval}; at the first failed channel it logs one ERROR line naming
 * the channel and the failure and ends the process with {@link #EXIT_CODE}, so that its supervisor
 * ({@code dev/up}'s, systemd, Docker's restart policy) starts it again, and the new process resumes
 * from the committed offsets once the broker answers. A failure reported while the channels are
 * still starting counts too: a channel never recovers from it.
 */
@ApplicationScoped
public class ChannelWatchdog {
    /** The exit code after a failed channel: EX_TEMPFAIL, "try again later". */
    public static final int EXIT_CODE = 75;

    private static final Logger LOG = Logger.getLogger(ChannelWatchdog.class);

    private final HealthCenter health;
    private final ChannelWatchdogConfig config;
    private final AtomicBoolean exiting = new AtomicBoolean();
    private ScheduledExecutorService timer;

    public ChannelWatchdog(HealthCenter health, ChannelWatchdogConfig config) {
        this.health = health;
        this.config = config;
    }

    void onStart(@Observes StartupEvent event) {
        timer =
                Executors.newSingleThreadScheduledExecutor(
                        r -> {
                            Thread t = new Thread(r, "channel-watchdog");
                            t.setDaemon(true);
                            return t;
                        });
        long every = config.watchInterval().toMillis();
        timer.scheduleWithFixedDelay(this::checkSafely, every, every, TimeUnit.MILLISECONDS);
    }

    void onStop(@Observes ShutdownEvent event) {
        if (timer != null) {
            timer.shutdownNow();
        }
    }

    private void checkSafely() {
        try {
            List<HealthReport.ChannelInfo> failed = failedChannels(health.getLiveness());
            if (!failed.isEmpty()) {
                exit(failed);
            }
        } catch (RuntimeException e) {
            LOG.debugf("channel liveness not readable yet: %s", e.toString());
        }
    }

    /** The channels a liveness report says are failed. */
    static List<HealthReport.ChannelInfo> failedChannels(HealthReport live) {
        return live.getChannels().stream().filter(c -> !c.isOk()).toList();
    }

    private void exit(List<HealthReport.ChannelInfo> failed) {
        if (!exiting.compareAndSet(false, true)) {
            return;
        }
        for (HealthReport.ChannelInfo c : failed) {
            LOG.errorf(
                    "channel '%s' failed and reads nothing any more (%s): exiting with code %d so"
                            + " that the supervisor starts the service again",
                    c.getChannel(), c.getMessage(), EXIT_CODE);
        }
        if (LaunchMode.current() == LaunchMode.NORMAL) {
            Thread halt =
                    new Thread(
                            () -> {
                                try {
                                    Thread.sleep(config.haltAfter().toMillis());
                                } catch (InterruptedException e) {
                                    return;
                                }
                                LOG.errorf(
                                        "shutdown did not finish within %s: halting",
                                        config.haltAfter());
                                Runtime.getRuntime().halt(EXIT_CODE);
                            },
                            "channel-watchdog-halt");
            halt.setDaemon(true);
            halt.start();
        }
        Quarkus.asyncExit(EXIT_CODE);
    }
}
