package dev.canaryrelease.builder.rest;

import java.util.Optional;

import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ResourceInfo;
import jakarta.ws.rs.core.Response;

import org.jboss.resteasy.reactive.server.ServerRequestFilter;

import dev.canaryrelease.common.auth.TokenAuth;

/**
 * Every endpoint of this service's API (builds and their logs) needs an API token: a read the
 * viewer role, a write the operator role; 401 without a known token, 403 for a viewer's write (see
 * {@link TokenAuth}). Only {@code /q/health} and {@code /q/metrics} (not part of the REST API) stay
 * open.
 */
public class ApiAuthFilter {
    private final TokenAuth auth;

    public ApiAuthFilter(TokenAuth auth) {
        this.auth = auth;
    }

    @ServerRequestFilter(priority = Priorities.AUTHENTICATION)
    public Optional<Response> requireToken(ContainerRequestContext request, ResourceInfo resource) {
        return auth.refusal(request, resource);
    }
}
