package dev.canaryrelease.gateway.rest;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import io.quarkus.vertx.http.runtime.filters.Filters;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;

/**
 * The dashboard's static files ({@code META-INF/resources/ui/}) need no token: they hold no data,
 * and every call they make sends the operator's bearer token. What they get instead is a strict
 * Content-Security-Policy: scripts, styles and connections only from the gateway itself, no inline
 * script or style, no frame, no form target, no plugin. {@code /ui} redirects to {@code /ui/}.
 */
@ApplicationScoped
public class DashboardHeaders {
    static final String PREFIX = "/ui";

    /** The policy of every {@code /ui} answer. */
    static final String CSP =
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self';"
                    + " connect-src 'self'; base-uri 'none'; form-action 'none';"
                    + " frame-ancestors 'none'";

    /** Before the static-resource handler and the REST routes. */
    static final int PRIORITY = 800;

    void register(@Observes Filters filters) {
        filters.register(this::handle, PRIORITY);
    }

    void handle(RoutingContext ctx) {
        String path = ctx.normalizedPath();
        if (!path.equals(PREFIX) && !path.startsWith(PREFIX + "/")) {
            ctx.next();
            return;
        }
        ctx.response()
                .putHeader("Content-Security-Policy", CSP)
                .putHeader("X-Content-Type-Options", "nosniff")
                .putHeader("Referrer-Policy", "no-referrer")
                .putHeader("X-Frame-Options", "DENY")
                .putHeader(HttpHeaders.CACHE_CONTROL, "no-cache");
        if (path.equals(PREFIX)) {
            ctx.response().setStatusCode(302).putHeader(HttpHeaders.LOCATION, PREFIX + "/").end();
            return;
        }
        ctx.next();
    }
}
