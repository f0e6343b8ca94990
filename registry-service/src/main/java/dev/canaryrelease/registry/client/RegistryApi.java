package dev.canaryrelease.registry.client;

import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.Encoded;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HEAD;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.core.Response;

/**
 * The Docker registry HTTP API V2, as far as registry-service uses it. Repository names hold
 * slashes ({@code team/app}): they go into the path {@code @Encoded}, already checked against the
 * registry's name grammar. Private to {@link RegistryClient}.
 */
@Path("/v2")
public interface RegistryApi {
    @GET
    @Path("/{name}/manifests/{reference}")
    Response manifest(
            @PathParam("name") @Encoded String name,
            @PathParam("reference") @Encoded String reference,
            @HeaderParam("Accept") String accept);

    @HEAD
    @Path("/{name}/manifests/{reference}")
    Response manifestHead(
            @PathParam("name") @Encoded String name,
            @PathParam("reference") @Encoded String reference,
            @HeaderParam("Accept") String accept);

    @DELETE
    @Path("/{name}/manifests/{digest}")
    Response deleteManifest(
            @PathParam("name") @Encoded String name, @PathParam("digest") @Encoded String digest);

    @GET
    @Path("/{name}/blobs/{digest}")
    Response blob(
            @PathParam("name") @Encoded String name, @PathParam("digest") @Encoded String digest);

    @GET
    @Path("/{name}/tags/list")
    Response tags(@PathParam("name") @Encoded String name);
}
