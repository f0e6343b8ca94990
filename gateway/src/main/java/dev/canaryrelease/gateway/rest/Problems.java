package dev.canaryrelease.gateway.rest;

import java.util.LinkedHashMap;
import java.util.Map;

import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

/** JSON error bodies: {@code {"error": reason, ...}}. */
final class Problems {
    private Problems() {}

    static Response of(int status, String reason) {
        return Response.status(status)
                .type(MediaType.APPLICATION_JSON_TYPE)
                .entity(Map.of("error", reason))
                .build();
    }

    static Response of(int status, String reason, String key, Object value) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("error", reason);
        m.put(key, value);
        return Response.status(status).type(MediaType.APPLICATION_JSON_TYPE).entity(m).build();
    }

    static WebApplicationException unauthorized(String reason) {
        return new WebApplicationException(
                Response.fromResponse(of(401, reason))
                        .header(HttpHeaders.WWW_AUTHENTICATE, "Bearer realm=\"canary-release\"")
                        .build());
    }

    static WebApplicationException forbidden(String reason) {
        return new WebApplicationException(of(403, reason));
    }
}
