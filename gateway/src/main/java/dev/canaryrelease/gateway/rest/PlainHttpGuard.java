package dev.canaryrelease.gateway.rest;

import java.util.List;
import java.util.Locale;
import java.util.Optional;

import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.interceptor.Interceptor;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import io.quarkus.runtime.StartupEvent;

import dev.canaryrelease.gateway.config.GatewayConfig;

/**
 * The gateway is the suite's front door: GitHub's webhooks and the operators' bearer tokens reach
 * it. Bound to an address other than loopback, it starts only when it serves HTTPS alone (a
 * certificate and key in {@code quarkus.http.ssl.certificate.files} and {@code key-files}, and
 * {@code quarkus.http.insecure-requests} {@code disabled} or {@code redirect}), or when {@code
 * canary.gateway.plain-http=true} says a proxy on this machine terminates TLS. Otherwise the start
 * fails with a sentence that says which keys to set.
 */
@ApplicationScoped
public class PlainHttpGuard {
    private static final Logger LOG = Logger.getLogger(PlainHttpGuard.class);

    static final String REFUSED =
            "the gateway binds %s and would answer plain HTTP there (webhooks and operators' tokens"
                    + " in clear): serve HTTPS with quarkus.http.ssl.certificate.files and"
                    + " quarkus.http.ssl.certificate.key-files and set"
                    + " quarkus.http.insecure-requests=disabled, or set canary.gateway.plain-http=true"
                    + " if a proxy on this machine terminates TLS";

    private final String host;
    private final boolean tls;
    private final String insecure;
    private final boolean plainAllowed;

    public PlainHttpGuard(
            GatewayConfig config,
            @ConfigProperty(name = "quarkus.http.host") String host,
            @ConfigProperty(name = "quarkus.http.ssl.certificate.files")
                    Optional<List<String>> certificates,
            @ConfigProperty(name = "quarkus.http.insecure-requests", defaultValue = "enabled")
                    String insecure) {
        this.host = host;
        this.tls = certificates.filter(c -> !c.isEmpty()).isPresent();
        this.insecure = insecure.trim().toLowerCase(Locale.ROOT);
        this.plainAllowed = config.plainHttp();
    }

    /** First of the start-up observers: nothing else starts on a refused exposure. */
    void onStart(@Observes @Priority(Interceptor.Priority.PLATFORM_BEFORE) StartupEvent event) {
        check(host, tls, insecure, plainAllowed)
                .ifPresent(
                        refusal -> {
                            // also straight to stderr: the console log is asynchronous, and a
                            // start that fails at once can exit before Quarkus's own report of
                            // the failure reaches it (seen once in BadFleetIT)
                            System.err.println("gateway refuses to start: " + refusal);
                            System.err.flush();
                            throw new IllegalStateException(refusal);
                        });
        LOG.infof(
                "listening on %s: %s",
                host,
                tls
                        ? "HTTPS" + (insecure.equals("enabled") ? " and plain HTTP" : " only")
                        : "plain HTTP" + (plainAllowed ? " (canary.gateway.plain-http=true)" : ""));
    }

    /** The refusal, if the gateway must not start this way. */
    static Optional<String> check(
            String host, boolean tls, String insecureRequests, boolean plainAllowed) {
        boolean plain = !tls || insecureRequests.equals("enabled");
        if (!plain || plainAllowed || ApiDocsGate.isLoopback(host)) {
            return Optional.empty();
        }
        return Optional.of(REFUSED.formatted(host));
    }
}
