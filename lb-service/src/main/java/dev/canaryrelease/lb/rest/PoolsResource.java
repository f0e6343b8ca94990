package dev.canaryrelease.lb.rest;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import dev.canaryrelease.lb.client.HaproxyInstance;
import dev.canaryrelease.lb.client.LoadBalancerException;
import dev.canaryrelease.lb.client.LoadBalancerPool;
import dev.canaryrelease.lb.domain.ServerView;
import dev.canaryrelease.lb.domain.WantedStates;

/** {@code GET /pools}: every backend and server as every HAProxy instance sees it. */
@Path("/pools")
public class PoolsResource {
    /** One server on one instance, plus the state this service wants for it. */
    public record ServerJson(
            String name,
            String admin,
            String wanted,
            String status,
            boolean up,
            int weight,
            int sessions,
            long totalRequests,
            long http5xx,
            String checkStatus) {}

    public record BackendJson(String name, List<ServerJson> servers) {}

    /** One instance: reachable or the reason it is not. */
    public record LoadBalancerJson(
            String name,
            String runtimeApi,
            boolean reachable,
            String error,
            List<BackendJson> backends) {}

    private final LoadBalancerPool pool;
    private final WantedStates wanted;

    public PoolsResource(LoadBalancerPool pool, WantedStates wanted) {
        this.pool = pool;
        this.wanted = wanted;
    }

    @GET
    @Produces(MediaType.APPLICATION_JSON)
    public List<LoadBalancerJson> pools() {
        List<LoadBalancerJson> out = new ArrayList<>();
        for (HaproxyInstance lb : pool.instances()) {
            try {
                Map<String, List<ServerJson>> backends = new LinkedHashMap<>();
                for (ServerView v : lb.servers()) {
                    backends.computeIfAbsent(v.backend(), b -> new ArrayList<>())
                            .add(
                                    new ServerJson(
                                            v.server(),
                                            v.admin().command(),
                                            wanted.get(v.key())
                                                    .map(w -> w.state().command())
                                                    .orElse(null),
                                            v.status(),
                                            v.up(),
                                            v.weight(),
                                            v.sessions(),
                                            v.totalRequests(),
                                            v.http5xx(),
                                            v.checkStatus()));
                }
                List<BackendJson> list = new ArrayList<>();
                backends.forEach((b, s) -> list.add(new BackendJson(b, s)));
                out.add(new LoadBalancerJson(lb.name(), lb.runtimeApi(), true, null, list));
            } catch (LoadBalancerException e) {
                out.add(
                        new LoadBalancerJson(
                                lb.name(), lb.runtimeApi(), false, e.getMessage(), List.of()));
            }
        }
        return out;
    }
}
