package dev.canaryrelease.deploy.rest;

import java.util.List;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import dev.canaryrelease.deploy.client.SwapService;
import dev.canaryrelease.deploy.domain.Release;
import dev.canaryrelease.deploy.messaging.DeployEngine;
import dev.canaryrelease.fleet.Fleet;

/** The deploy service's view: a release's state and what runs on each host. */
@Path("/")
@Produces(MediaType.APPLICATION_JSON)
public class ReleaseResource {
    private final DeployEngine engine;
    private final SwapService swaps;
    private final Fleet fleet;

    public ReleaseResource(DeployEngine engine, SwapService swaps, Fleet fleet) {
        this.engine = engine;
        this.swaps = swaps;
        this.fleet = fleet;
    }

    /** A release: phase, digest, each host's step and previous digest, the promotion plan. */
    @GET
    @Path("releases/{id}")
    public Release release(@PathParam("id") String id) {
        return engine.release(id).orElseThrow(() -> new NotFoundException("no release " + id));
    }

    /** Every release this service knows, oldest first. */
    @GET
    @Path("releases")
    public List<Release> releases() {
        return engine.releases();
    }

    /**
     * Each Docker host and app: the running container and its digest, the retained previous
     * containers (rollback stock), and the engine's error if it cannot be reached.
     */
    @GET
    @Path("hosts")
    public List<SwapService.HostView> hosts() {
        return fleet.dockerHosts().stream()
                .flatMap(h -> fleet.apps().stream().map(a -> swaps.view(h, a)))
                .toList();
    }
}
