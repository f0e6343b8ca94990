package dev.canaryrelease.dns.rest;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import io.smallrye.common.annotation.Blocking;

import dev.canaryrelease.dns.domain.RecordsView;
import dev.canaryrelease.dns.messaging.RecordKeeper;

/** The records kept and their verified state; a reconcile on demand. */
@Path("/")
@Produces(MediaType.APPLICATION_JSON)
@Blocking
public class RecordsResource {
    private final RecordKeeper keeper;

    public RecordsResource(RecordKeeper keeper) {
        this.keeper = keeper;
    }

    /** Every record kept, with what the server (or each hosts file) holds now. */
    @GET
    @Path("records")
    public RecordsView records() {
        return keeper.view();
    }

    /**
     * Compares what should be kept with what the targets hold and fixes the difference: 200 with
     * the changes made, 502 with the reasons when a change could not be made.
     */
    @POST
    @Path("reconcile")
    public Response reconcile() {
        RecordKeeper.Report report = keeper.reconcile(null);
        return Response.status(report.ok() ? 200 : 502).entity(report).build();
    }
}
