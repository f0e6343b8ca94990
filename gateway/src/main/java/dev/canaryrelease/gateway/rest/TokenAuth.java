package dev.canaryrelease.gateway.rest;

import java.util.Locale;

import jakarta.enterprise.context.ApplicationScoped;

import dev.canaryrelease.gateway.config.Tokens;
import dev.canaryrelease.gateway.config.Tokens.Caller;
import dev.canaryrelease.gateway.config.Tokens.Role;

/** Bearer-token checks of the operator API: 401 without a known token, 403 without the role. */
@ApplicationScoped
public class TokenAuth {
    private final Tokens tokens;

    public TokenAuth(Tokens tokens) {
        this.tokens = tokens;
    }

    /**
     * The caller of an {@code Authorization} header that has at least {@code needed}.
     *
     * @throws jakarta.ws.rs.WebApplicationException 401 or 403
     */
    public Caller require(String authorization, Role needed) {
        if (authorization == null || authorization.isBlank()) {
            throw Problems.unauthorized("missing bearer token");
        }
        String a = authorization.strip();
        if (a.length() < 7 || !a.substring(0, 7).toLowerCase(Locale.ROOT).equals("bearer ")) {
            throw Problems.unauthorized("the Authorization header is not a bearer token");
        }
        Caller caller =
                tokens.lookup(a.substring(7).strip())
                        .orElseThrow(() -> Problems.unauthorized("unknown token"));
        if (!caller.role().allows(needed)) {
            throw Problems.forbidden(
                    caller.name()
                            + " is a "
                            + caller.role().name().toLowerCase(Locale.ROOT)
                            + ": this needs the "
                            + needed.name().toLowerCase(Locale.ROOT)
                            + " role");
        }
        return caller;
    }
}
