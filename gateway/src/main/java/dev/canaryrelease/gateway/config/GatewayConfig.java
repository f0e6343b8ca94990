package dev.canaryrelease.gateway.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** The gateway's own settings ({@code canary.gateway.*}). */
@ConfigMapping(prefix = "canary.gateway")
public interface GatewayConfig {

    /**
     * File holding the GitHub webhook secret (the whole file, a trailing newline ignored). Env:
     * {@code CANARY_GATEWAY_WEBHOOK_SECRET_FILE}.
     */
    Path webhookSecretFile();

    /**
     * File of API tokens, one {@code <role> <name> <token>} line each (role {@code operator} or
     * {@code viewer}; {@code #} comments). Env: {@code CANARY_GATEWAY_TOKENS_FILE}.
     */
    Path tokensFile();

    /**
     * Largest request body the gateway reads (the webhook's and the operator API's), in bytes: a
     * larger {@code Content-Length} is answered 413 before a byte of the body is read, a chunked
     * body is cut off with 413 when it passes it. GitHub caps payloads at 25 MB, but a push payload
     * lists at most 2048 commits (about 1 kB each with their file lists: about 2 MB) and a real one
     * is about 10 kB; 4 MiB leaves twice the largest real push, while 20 bodies of GitHub's cap
     * would be 500 MB of unverified bytes. Raise it (and {@link #unverifiedBodyBudgetBytes}) for a
     * monorepo whose pushes list more.
     */
    @WithDefault("4194304")
    long maxPayloadBytes();

    /**
     * Total of request body bytes the gateway holds at once before a signature or a token has been
     * checked. A request is admitted only if its {@code Content-Length} (or, chunked, the whole
     * {@link #maxPayloadBytes}) still fits; otherwise it is answered 503 with {@code Retry-After}
     * before its body is read. 16 MiB is four bodies of the largest size or about 1700 real pushes
     * in flight at once.
     */
    @WithDefault("16777216")
    long unverifiedBodyBudgetBytes();

    /**
     * How long a request body may take to arrive once its headers are in (GitHub itself gives up
     * after 10 s): a slower body is answered 408 and its connection closed, so a slow sender cannot
     * hold a share of the budget for long.
     */
    @WithDefault("10s")
    Duration bodyTimeout();

    /**
     * How many keys the push dedupe keeps (each of delivery id and app + commit, least recently
     * seen forgotten first; refilled from {@code gateway.events} at every start). About 500 bytes a
     * push for both keys and its entry (measured with fresh strings): 20 000 are about 10 MB.
     */
    @WithDefault("20000")
    int dedupeCapacity();

    /**
     * Whether {@code /q/openapi} and {@code /q/swagger-ui} answer. Unset: on when {@code
     * quarkus.http.host} is a loopback address, off (404) when the gateway binds any other address
     * (such as {@code 0.0.0.0}), so a gateway reachable from the network does not publish a map of
     * its API unless asked to.
     */
    Optional<Boolean> apiDocs();

    /**
     * Whether the gateway may answer plain HTTP on an address that is not loopback. Off: bound to
     * such an address (such as {@code 0.0.0.0}), it refuses to start unless it serves HTTPS only
     * ({@code quarkus.http.ssl.certificate.files} and {@code key-files}, with {@code
     * quarkus.http.insecure-requests} {@code disabled} or {@code redirect}), because webhooks and
     * operators' bearer tokens would cross the network in clear. Set it only behind a proxy that
     * terminates TLS on this machine.
     */
    @WithDefault("false")
    boolean plainHttp();

    /**
     * How many releases the gateway keeps in memory with their whole timeline (least recently
     * changed or read forgotten first, once written to {@code gateway.release-details}); every
     * other release is a summary of about 300 bytes in memory and its detail is read from {@code
     * gateway.release-details} when asked for.
     */
    @WithDefault("200")
    int cacheReleases();

    /**
     * How many settled releases (PROMOTED or final) the gateway keeps in its in-memory index, the
     * newest; every release not settled stays too. Older ones leave memory for {@code
     * gateway.release-pages} (pages of {@link #pageReleases}, and id buckets) once their latest
     * version is written, and {@code GET /releases} and {@code GET /releases/{id}} read them from
     * there a record at a time. About 300 bytes a release in memory: 20 000 are about 6 MB, as many
     * as the push dedupe keeps ({@link #dedupeCapacity}).
     */
    @WithDefault("20000")
    int indexReleases();

    /**
     * Releases in one page of {@code gateway.release-pages} (about 400 bytes each as JSON: 500 are
     * about 200 kB, one record; the broker's limit is 1 MB). A list request reads the pages its
     * window falls in, usually one or two.
     */
    @WithDefault("500")
    int pageReleases();

    /**
     * Most events of one release's timeline the gateway keeps (in memory and in its stored detail);
     * past it the oldest are folded into the release's state and dropped from the timeline (a
     * release of a fleet of a hundred hosts has about 600 events).
     */
    @WithDefault("2000")
    int timelineEvents();

    /**
     * How many events {@code GET /events} can replay to a client that connects or resumes: the most
     * recent ones the gateway read. A client whose cursor is older resumes at the oldest kept.
     */
    @WithDefault("10000")
    int streamBuffer();

    /**
     * How often the gateway writes the releases that changed to {@code gateway.releases} and {@code
     * gateway.release-details}, then the checkpoint of the events they cover. A restart replays
     * only the events after the checkpoint.
     */
    @WithDefault("1s")
    Duration snapshotInterval();

    /**
     * How long the start-up replay may go without reading a record, while records are left, before
     * a WARN line says it is stuck (the REST API keeps answering 503 meanwhile; the replay is never
     * given up, so a first start after an upgrade that reads the whole history for minutes is
     * fine).
     */
    @WithDefault("60s")
    Duration replayStallTimeout();

    /**
     * The registry user the gateway reads the registry as, to find the digest of a tag or a digest
     * an operator deploys ({@code POST /apps/{app}/deploy}). The gateway only ever reads.
     */
    @WithDefault("gateway")
    String registryUsername();

    /**
     * File (0600) holding the password of {@link #registryUsername} (env {@code
     * CANARY_REGISTRY_PASSWORD_FILE}). Unset: the lookups are anonymous, which a registry that
     * requires credentials refuses (the deploy is then answered 503 with that sentence).
     */
    Optional<Path> registryPasswordFile();

    /** How long one registry lookup may take before the deploy is answered 503. */
    @WithDefault("5s")
    Duration registryTimeout();

    /** Page size of {@code GET /releases} when none is asked. */
    @WithDefault("20")
    int defaultPageSize();

    /** Largest page size of {@code GET /releases}. */
    @WithDefault("200")
    int maxPageSize();

    /**
     * The dead-letter topics {@code GET /dead-letters} reads: one per incoming channel of the suite
     * ({@code dead-letter-topic-<channel>}). A topic that does not exist (yet) is skipped.
     */
    @WithDefault(
            "dead-letter-topic-gateway-in,dead-letter-topic-build-in,dead-letter-topic-registry-in,"
                    + "dead-letter-topic-lb-in,dead-letter-topic-lb-state,"
                    + "dead-letter-topic-deploy-in,dead-letter-topic-dns-in")
    java.util.List<String> deadLetterTopics();
}
