package dev.canaryrelease.registry.rest;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import dev.canaryrelease.registry.client.NotFoundException;
import dev.canaryrelease.registry.client.RegistryClient;
import dev.canaryrelease.registry.client.RegistryException;
import dev.canaryrelease.registry.client.TagDigest;
import dev.canaryrelease.registry.domain.HostDigests;
import dev.canaryrelease.registry.domain.TagStore;
import dev.canaryrelease.registry.rest.NotificationResource.Problem;

/**
 * The tags of a repository as the registry has them now, with when each was pushed (from the
 * notifications) and which hosts run its digest or keep it as their rollback image (from {@code
 * host.updated}).
 */
@Path("/images")
public class ImageResource {
    /** One tag. {@code pushedAt} is null for a tag pushed before registry-service saw it. */
    public record TagView(
            String tag,
            String digest,
            Instant pushedAt,
            List<String> runningOn,
            List<String> previousOn) {}

    public record TagsView(String repository, List<TagView> tags) {}

    private final RegistryClient registry;
    private final TagStore tags;
    private final HostDigests hosts;

    public ImageResource(RegistryClient registry, TagStore tags, HostDigests hosts) {
        this.registry = registry;
        this.tags = tags;
        this.hosts = hosts;
    }

    @GET
    @Path("/{repository: [a-z0-9._/-]+}/tags")
    @Produces(MediaType.APPLICATION_JSON)
    public Response tags(@PathParam("repository") String repository) {
        if (repository.contains("..") || repository.startsWith("/") || repository.endsWith("/")) {
            return Response.status(Response.Status.BAD_REQUEST)
                    .entity(new Problem("invalid repository name"))
                    .build();
        }
        List<TagDigest> current;
        try {
            current = registry.tagDigests(repository);
        } catch (NotFoundException e) {
            return Response.status(Response.Status.NOT_FOUND)
                    .entity(new Problem("repository " + repository + " not found"))
                    .build();
        } catch (RegistryException e) {
            return Response.status(Response.Status.BAD_GATEWAY)
                    .entity(new Problem(e.getMessage()))
                    .build();
        }
        List<TagView> out = new ArrayList<>();
        for (TagDigest t : current) {
            out.add(
                    new TagView(
                            t.tag(),
                            t.digest(),
                            tags.pushedAt(repository, t.tag(), t.digest()).orElse(null),
                            hosts.hostsRunning(t.digest()),
                            hosts.hostsWithPrevious(t.digest())));
        }
        out.sort(
                Comparator.comparing(
                                TagView::pushedAt,
                                Comparator.nullsLast(Comparator.<Instant>reverseOrder()))
                        .thenComparing(TagView::tag));
        return Response.ok(new TagsView(repository, out)).build();
    }
}
