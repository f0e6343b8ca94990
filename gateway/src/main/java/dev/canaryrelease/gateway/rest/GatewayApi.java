package dev.canaryrelease.gateway.rest;

import jakarta.ws.rs.core.Application;

import org.eclipse.microprofile.openapi.annotations.OpenAPIDefinition;
import org.eclipse.microprofile.openapi.annotations.enums.SecuritySchemeType;
import org.eclipse.microprofile.openapi.annotations.info.Info;
import org.eclipse.microprofile.openapi.annotations.security.SecurityScheme;

/** OpenAPI metadata of the gateway (document at /q/openapi, UI at /q/swagger-ui). */
@OpenAPIDefinition(
        info =
                @Info(
                        title = "Canary Release gateway",
                        version = "0.1.0",
                        description =
                                "GitHub webhooks in, the release read model, operator commands"
                                        + " and the live CloudEvents stream."))
@SecurityScheme(
        securitySchemeName = GatewayApi.BEARER,
        type = SecuritySchemeType.HTTP,
        scheme = "bearer",
        description = "a token of the tokens file; viewer reads, operator also acts")
public class GatewayApi extends Application {
    public static final String BEARER = "bearer";
}
