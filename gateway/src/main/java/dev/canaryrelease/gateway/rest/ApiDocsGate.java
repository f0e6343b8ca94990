package dev.canaryrelease.gateway.rest;

import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import io.quarkus.vertx.http.runtime.filters.Filters;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

import dev.canaryrelease.gateway.config.GatewayConfig;

/**
 * {@code /q/openapi} and {@code /q/swagger-ui} answer only where the gateway is reachable from this
 * machine alone, unless {@code canary.gateway.api-docs} says otherwise: bound to any address that
 * is not loopback (such as {@code 0.0.0.0}), they answer 404.
 */
@ApplicationScoped
public class ApiDocsGate {
    private static final Logger LOG = Logger.getLogger(ApiDocsGate.class);

    /** Before the routes that serve the documents. */
    static final int PRIORITY = 900;

    static final String OFF =
            "API documents are off: the gateway binds %s (set canary.gateway.api-docs=true to serve"
                    + " them)";

    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");

    private final boolean enabled;
    private final String host;
    private final String openapiPath;
    private final String swaggerPath;

    public ApiDocsGate(
            GatewayConfig config,
            @ConfigProperty(name = "quarkus.http.host") String host,
            @ConfigProperty(name = "quarkus.http.non-application-root-path", defaultValue = "q")
                    String nonAppRoot,
            @ConfigProperty(name = "quarkus.smallrye-openapi.path", defaultValue = "openapi")
                    String openapiPath,
            @ConfigProperty(name = "quarkus.swagger-ui.path", defaultValue = "swagger-ui")
                    String swaggerPath) {
        this.host = host;
        this.enabled = enabled(host, config.apiDocs());
        this.openapiPath = under(nonAppRoot, openapiPath);
        this.swaggerPath = under(nonAppRoot, swaggerPath);
        LOG.infof(
                "API documents (%s, %s) are %s (quarkus.http.host=%s%s)",
                this.openapiPath,
                this.swaggerPath,
                enabled ? "on" : "off",
                host,
                config.apiDocs().map(v -> ", canary.gateway.api-docs=" + v).orElse(""));
    }

    /**
     * The decision: what {@code canary.gateway.api-docs} says when set; otherwise on only when
     * {@code host} is a loopback address ({@code 127.0.0.0/8}, {@code ::1}, {@code localhost}). A
     * host name other than {@code localhost} counts as not loopback (no DNS look-up).
     */
    static boolean enabled(String host, Optional<Boolean> configured) {
        return configured.orElseGet(() -> isLoopback(host));
    }

    static boolean isLoopback(String host) {
        if (host == null) {
            return false;
        }
        String h = host.trim().toLowerCase(Locale.ROOT);
        if (h.startsWith("[") && h.endsWith("]")) {
            h = h.substring(1, h.length() - 1);
        }
        if (h.equals("localhost")) {
            return true;
        }
        if (IPV4.matcher(h).matches()) {
            String[] parts = h.split("\\.");
            for (String p : parts) {
                if (Integer.parseInt(p) > 255) {
                    return false;
                }
            }
            return parts[0].equals("127");
        }
        if (h.contains(":")) {
            return h.equals("::1") || h.equals("0:0:0:0:0:0:0:1");
        }
        return false;
    }

    /** An absolute path: {@code path} under the non-application root unless it is absolute. */
    static String under(String root, String path) {
        if (path.startsWith("/")) {
            return path;
        }
        String r = root.startsWith("/") ? root : "/" + root;
        return (r.endsWith("/") ? r : r + "/") + path;
    }

    boolean enabled() {
        return enabled;
    }

    void register(@Observes Filters filters) {
        if (!enabled) {
            filters.register(this::handle, PRIORITY);
        }
    }

    void handle(RoutingContext ctx) {
        String path = ctx.normalizedPath();
        if (matches(path, openapiPath) || matches(path, swaggerPath)) {
            ctx.response()
                    .setStatusCode(404)
                    .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                    .end(new JsonObject().put("error", String.format(OFF, host)).encode());
            return;
        }
        ctx.next();
    }

    private static boolean matches(String path, String prefix) {
        return path.equals(prefix)
                || path.startsWith(prefix + "/")
                || path.startsWith(prefix + ".");
    }
}
