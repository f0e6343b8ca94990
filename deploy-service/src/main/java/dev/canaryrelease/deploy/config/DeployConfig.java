package dev.canaryrelease.deploy.config;

import java.time.Duration;
import java.util.List;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** deploy-service settings ({@code canary.deploy.*}); the rollout policy itself is in the fleet. */
@ConfigMapping(prefix = "canary.deploy")
public interface DeployConfig {

    /** Topics read from their beginning at start to rebuild every release before acting. */
    @WithDefault("gateway.events,build.events,registry.events,lb.events,deploy.events")
    List<String> replayTopics();

    /**
     * How long the service waits for lb-service's answer ({@code host.drained}, {@code
     * host.enabled}) beyond the fleet's drain (enable) deadline. Then it publishes {@code
     * host.answer-timed-out} and compensates: the host is put back and the rollout fails. Long
     * enough to outlast a restart of lb-service or a broker outage of several minutes.
     */
    @WithDefault("10m")
    Duration lbAnswerMargin();

    /**
     * How often the snapshot in {@code deploy.releases} is brought up to date (the history since
     * the last one folded, the releases it changed written). A restart replays only what came after
     * the last snapshot; the event topics' retention must be far longer than this.
     */
    @WithDefault("5s")
    Duration snapshotInterval();

    /**
     * How long the start-up replay may go without reading anything (the broker unreachable, a topic
     * it may not read) before the service gives up starting, with a sentence saying how far it got.
     * Not a limit on the whole replay: a first start after an upgrade that reads the whole history
     * for minutes is fine as long as it moves; it logs how far it is every 5 s.
     */
    @WithDefault("60s")
    Duration replayTimeout();

    /** Previous containers kept per app and host for instant rollback ({@code <name>-<sha12>}). */
    @WithDefault("3")
    int retained();

    /**
     * How many swaps (or restores) one engine runs at once, each of another app: the apps of a host
     * are swapped side by side, one app's swaps always one after the other.
     */
    @WithDefault("4")
    int swapsPerHost();

    /** Grace period of {@code docker stop} for the old container. */
    @WithDefault("10s")
    Duration stopTimeout();

    /** Connect timeout to a Docker engine (TCP/unix) or an SSH server. */
    @WithDefault("5s")
    Duration connectTimeout();

    /** Response timeout of one Docker API call or remote command (a pull may take longer). */
    @WithDefault("120s")
    Duration callTimeout();

    /**
     * Attempts of one swap or restore when the engine cannot be reached (a connection refused or
     * reset, an SSH transport error, a timeout): each attempt first completes or undoes what the
     * one before left half done. A failed health check is never retried.
     */
    @WithDefault("3")
    int swapAttempts();

    /** Pause before the second attempt; it doubles before each further one. */
    @WithDefault("500ms")
    Duration retryPause();

    /**
     * How long a swap or restore keeps trying an engine it cannot reach (after at least {@link
     * #swapAttempts()} attempts): the host stays drained meanwhile, and when the engine answers
     * again the next attempt completes or undoes what the last one left and carries on, without a
     * restart of the service. Past it, the swap fails saying the engine was not reached.
     */
    @WithDefault("10m")
    Duration engineWait();

    /**
     * A health check fails before its deadline when the app answered 4xx/5xx three times in a row
     * over at least this long (a definite no); silence and refused connections wait the deadline.
     */
    @WithDefault("1s")
    Duration definiteFailureAfter();

    /** Lines of the failed container's log put in {@code host.update-failed}. */
    @WithDefault("20")
    int logLines();

    /**
     * Scan every host for half-done swaps of the apps this instance is given (at start, and when
     * the group gives it another instance's apps), and complete or undo them.
     */
    @WithDefault("true")
    boolean recoverAtStart();

    /**
     * How long a rebalance that takes this instance's partitions away waits for its running swaps
     * and their events to reach Kafka before it lets them go (issue 19): the next owner then sees
     * them done in the history. Past it, a swap still running is fenced (it takes no further step
     * and publishes no outcome), and the next owner finds the swap by the host's state. Kafka waits
     * for this, within {@code max.poll.interval.ms} (5 min).
     */
    @WithDefault("60s")
    Duration revokeGrace();
}
