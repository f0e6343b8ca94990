package dev.canaryrelease.lb.config;

import java.time.Duration;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** lb-service settings. Deadlines and minReady come from the fleet's rollout policy. */
@ConfigMapping(prefix = "canary.lb")
public interface LbConfig {
    /** How long one Runtime API command may take before the instance counts as unreachable. */
    @WithDefault("2s")
    Duration commandTimeout();

    /** How often a drain reads {@code show stat} while sessions remain. */
    @WithDefault("10ms")
    Duration drainPollInterval();

    /** How often an enable reads {@code show stat} while waiting for the health check. */
    @WithDefault("20ms")
    Duration enablePollInterval();

    /** How often every instance's {@code show info} is read to detect a reload. */
    @WithDefault("250ms")
    Duration watchInterval();

    /** How often the wanted admin states are compared with every instance even without reload. */
    @WithDefault("1s")
    Duration reconcileInterval();

    /**
     * How often what the events say about every server is written to the compacted {@code
     * lb.servers} (only what changed, and the positions it covers), so the wanted states outlive
     * the event topics' retention and a start replays only what came after.
     */
    @WithDefault("5s")
    Duration snapshotInterval();

    /**
     * How long the start-up replay may go without reading a record, while records are left, before
     * a WARN line says it is stuck (readiness stays DOWN meanwhile; the replay is never given up).
     */
    @WithDefault("60s")
    Duration replayStallTimeout();

    /**
     * How long a request of deploy-service that lb-service has not answered keeps its server from
     * being raised to ready by reconciliation. Past it, the request's record is taken to be gone
     * (retention, or lost) and the server goes back to the state its events last wanted. It must be
     * longer than deploy-service's longest wait for an answer (the fleet's drain or enable deadline
     * plus {@code canary.deploy.lb-answer-margin}, 10 min), after which deploy-service has given up
     * on the answer and put the host back itself.
     */
    @WithDefault("1h")
    Duration requestHold();

    /**
     * The UDP port on 127.0.0.1 where HAProxy sends its per-request log lines for the canary
     * analysis ({@code log 127.0.0.1:<port> local0 info} in its {@code global} section, and the
     * {@code log-format} of {@code HaproxyLogReceiver.LOG_FORMAT} in the app's frontend). 0 takes a
     * free port (tests). A port that cannot be bound does not stop the service: every analysis
     * window then says that it has no latency, and is judged inconclusive.
     */
    @WithDefault("5140")
    int analysisLogPort();
}
