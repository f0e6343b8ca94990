package dev.canaryrelease.dns.messaging;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.eclipse.microprofile.context.ManagedExecutor;
import org.jboss.logging.Logger;

import io.quarkus.runtime.StartupEvent;
import io.quarkus.scheduler.Scheduled;

/**
 * Reconciles at start and then every {@code canary.dns.reconcile-interval}. The start reconcile
 * runs once the messaging channels are wired (a plain {@link StartupEvent} observer runs after
 * SmallRye Reactive Messaging's), on Quarkus's managed executor so an unreachable server does not
 * hold up the start.
 */
@ApplicationScoped
public class PeriodicReconcile {
    private static final Logger LOG = Logger.getLogger(PeriodicReconcile.class);

    private final RecordKeeper keeper;
    private final ManagedExecutor executor;

    public PeriodicReconcile(RecordKeeper keeper, ManagedExecutor executor) {
        this.keeper = keeper;
        this.executor = executor;
    }

    void onStart(@Observes StartupEvent event) {
        executor.runAsync(this::reconcile);
    }

    @Scheduled(
            identity = "dns-reconcile",
            every = "${canary.dns.reconcile-interval:60s}",
            delayed = "${canary.dns.reconcile-interval:60s}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void reconcile() {
        try {
            keeper.reconcile(null);
        } catch (RuntimeException e) {
            LOG.errorf(e, "reconcile failed");
        }
    }
}
