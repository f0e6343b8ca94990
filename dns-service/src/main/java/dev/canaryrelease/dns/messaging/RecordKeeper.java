package dev.canaryrelease.dns.messaging;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import dev.canaryrelease.dns.client.DnsTargets;
import dev.canaryrelease.dns.domain.Change;
import dev.canaryrelease.dns.domain.Diff;
import dev.canaryrelease.dns.domain.DnsException;
import dev.canaryrelease.dns.domain.DnsTarget;
import dev.canaryrelease.dns.domain.LiveCanary;
import dev.canaryrelease.dns.domain.RecordSet;
import dev.canaryrelease.dns.domain.RecordsView;
import dev.canaryrelease.dns.domain.WantedRecords;
import dev.canaryrelease.events.EventEnvelope;
import dev.canaryrelease.events.messaging.EventPublisher;
import dev.canaryrelease.events.model.CanaryEvent;
import dev.canaryrelease.events.model.DnsUpdateFailed;
import dev.canaryrelease.events.model.DnsUpdated;
import dev.canaryrelease.fleet.Fleet;

/**
 * Keeps the zone's records: computes what is wanted (fleet + live canaries), reads what each target
 * has, fixes the difference and reports every change as {@code dns.updated} or {@code
 * dns.update-failed}. One reconcile at a time. The live canaries are kept in {@code
 * <canary.data-dir>/dns-live-canaries.tsv} (when a data dir is set) so a restart keeps {@code
 * canary.<app>}.
 */
@ApplicationScoped
public class RecordKeeper {
    private static final Logger LOG = Logger.getLogger(RecordKeeper.class);
    static final String STATE_FILE = "dns-live-canaries.tsv";

    private final Fleet fleet;
    private final DnsTargets targets;
    private final EventPublisher publisher;
    private final Optional<Path> stateFile;
    private final Map<String, LiveCanary> live = new LinkedHashMap<>();
    private volatile Instant lastReconcile;

    public RecordKeeper(
            Fleet fleet,
            DnsTargets targets,
            EventPublisher publisher,
            @ConfigProperty(name = "canary.data-dir") Optional<String> dataDir) {
        this.fleet = fleet;
        this.targets = targets;
        this.publisher = publisher;
        this.stateFile = dataDir.map(d -> Path.of(d).resolve(STATE_FILE));
        load();
    }

    /** One change's outcome on one target. */
    public record Applied(
            String target, String name, String type, String value, boolean ok, String reason) {}

    /** A reconcile: what it changed (or failed to). */
    public record Report(Instant at, List<Applied> changes) {
        public boolean ok() {
            return changes.stream().allMatch(Applied::ok);
        }
    }

    /** A canary went live: {@code canary.<app>} → its hosts. */
    public synchronized Report canaryLive(
            EventEnvelope<?> cause, String app, String releaseId, List<String> hosts) {
        if (fleet.app(app).isEmpty()) {
            LOG.warnf("release %s: canary of unknown app %s ignored", releaseId, app);
            return new Report(Instant.now(), List.of());
        }
        live.put(app, new LiveCanary(app, releaseId, hosts));
        save();
        LOG.infof("release %s: canary of %s live on %s", releaseId, app, hosts);
        return reconcile(cause);
    }

    /** A release ended: its {@code canary.<app>} goes (a newer release's canary stays). */
    public synchronized Report releaseEnded(EventEnvelope<?> cause, String app, String releaseId) {
        LiveCanary c = live.get(app);
        if (c != null && c.releaseId().equals(releaseId)) {
            live.remove(app);
            save();
            LOG.infof("release %s: ended, canary.%s goes", releaseId, app);
        }
        return reconcile(cause);
    }

    public synchronized List<LiveCanary> liveCanaries() {
        return List.copyOf(live.values());
    }

    /** Compares every target with what it should hold and fixes the difference. */
    public synchronized Report reconcile(EventEnvelope<?> cause) {
        Map<String, RecordSet> wanted = WantedRecords.compute(fleet, live.values());
        Set<String> names = WantedRecords.ownedNames(fleet);
        List<Applied> applied = new ArrayList<>();
        for (DnsTarget target : targets.targets()) {
            reconcile(target, wanted, names, cause, applied);
        }
        lastReconcile = Instant.now();
        return new Report(lastReconcile, applied);
    }

    /**
     * Reads, compares and fixes one target. A change refused because the target changed since it
     * was read is retried once after reading again; only the final outcome is reported.
     */
    private void reconcile(
            DnsTarget target,
            Map<String, RecordSet> wanted,
            Set<String> names,
            EventEnvelope<?> cause,
            List<Applied> applied) {
        List<RecordSet> adapted = target.adapt(List.copyOf(wanted.values()));
        Map<String, RecordSet> byName = new LinkedHashMap<>();
        adapted.forEach(r -> byName.put(r.name(), r));
        String zone = WantedRecords.zone(fleet);
        for (int attempt = 1; attempt <= 2; attempt++) {
            Map<String, List<RecordSet>> observed;
            try {
                observed = target.read(names);
            } catch (DnsException e) {
                LOG.warnf("%s: cannot reconcile: %s", target.id(), e.getMessage());
                applied.add(new Applied(target.id(), zone, "*", "", false, e.getMessage()));
                emit(cause, new DnsUpdateFailed(releaseOf(cause), zone, "*", "", e.getMessage()));
                return;
            }
            List<Change> changes = Diff.changes(names, byName, observed, target.keepsTtl());
            if (changes.isEmpty()) {
                return;
            }
            List<DnsTarget.Outcome> outcomes = target.apply(changes, adapted);
            boolean retry = attempt == 1 && outcomes.stream().anyMatch(DnsTarget.Outcome::stale);
            for (DnsTarget.Outcome o : outcomes) {
                if (retry && o.stale()) {
                    LOG.infof(
                            "%s: %s changed meanwhile, reading again",
                            target.id(), o.change().name());
                    continue;
                }
                report(target, o, cause, applied);
            }
            if (!retry) {
                return;
            }
        }
    }

    private void report(
            DnsTarget target, DnsTarget.Outcome o, EventEnvelope<?> cause, List<Applied> applied) {
        Change c = o.change();
        String fqdn = c.name() + "." + WantedRecords.zone(fleet);
        String release = releaseFor(c.name(), cause);
        applied.add(new Applied(target.id(), fqdn, c.type(), c.value(), o.ok(), o.reason()));
        if (o.ok()) {
            LOG.infof(
                    "%s: %s %s %s",
                    target.id(), fqdn, c.type(), c.removal() ? "removed" : "→ " + c.value());
            emit(cause, new DnsUpdated(release, fqdn, c.type(), c.value()));
        } else {
            LOG.warnf("%s: %s not changed: %s", target.id(), fqdn, o.reason());
            emit(cause, new DnsUpdateFailed(release, fqdn, c.type(), c.value(), o.reason()));
        }
    }

    /** What each target holds now (read live), against what it should hold. */
    public synchronized RecordsView view() {
        Map<String, RecordSet> wanted = WantedRecords.compute(fleet, live.values());
        Set<String> names = WantedRecords.ownedNames(fleet);
        String zone = WantedRecords.zone(fleet);
        Map<String, List<RecordsView.TargetState>> states = new LinkedHashMap<>();
        List<String> extra = new ArrayList<>();
        for (DnsTarget target : targets.targets()) {
            Map<String, RecordSet> byName = new LinkedHashMap<>();
            target.adapt(List.copyOf(wanted.values())).forEach(r -> byName.put(r.name(), r));
            Map<String, List<RecordSet>> observed;
            String error = null;
            try {
                observed = target.read(names);
            } catch (DnsException e) {
                observed = Map.of();
                error = e.getMessage();
            }
            for (String n : observed.keySet()) {
                if (!wanted.containsKey(n) && !extra.contains(n)) {
                    extra.add(n);
                }
            }
            for (String n : concat(wanted.keySet(), extra)) {
                List<RecordSet> o = observed.getOrDefault(n, List.of());
                String state;
                if (error != null) {
                    state = "unknown";
                } else if (Diff.matches(byName.get(n), o, target.keepsTtl())) {
                    state = "verified";
                } else if (!wanted.containsKey(n)) {
                    state = "stale";
                } else {
                    state = o.isEmpty() ? "missing" : "different";
                }
                states.computeIfAbsent(n, k -> new ArrayList<>())
                        .add(new RecordsView.TargetState(target.id(), state, o, error));
            }
        }
        List<RecordsView.RecordView> records = new ArrayList<>();
        for (String n : concat(wanted.keySet(), extra)) {
            RecordSet w = wanted.get(n);
            List<RecordsView.TargetState> s = states.getOrDefault(n, List.of());
            boolean verified =
                    !s.isEmpty() && s.stream().allMatch(t -> t.state().equals("verified"));
            records.add(
                    new RecordsView.RecordView(
                            n,
                            n + "." + zone,
                            w == null ? null : w.type(),
                            w == null ? List.of() : w.values(),
                            w == null ? 0 : w.ttl(),
                            w == null ? null : releaseFor(n, null),
                            w != null,
                            verified,
                            s));
        }
        return new RecordsView(
                targets.backend(),
                zone,
                lastReconcile,
                liveCanaries(),
                records,
                targets.unmanaged());
    }

    private static List<String> concat(Set<String> a, List<String> b) {
        List<String> out = new ArrayList<>(a);
        b.stream().filter(x -> !out.contains(x)).forEach(out::add);
        return out;
    }

    private String releaseFor(String name, EventEnvelope<?> cause) {
        for (LiveCanary c : live.values()) {
            if (name.equals(WantedRecords.canaryName(c.app()))) {
                return c.releaseId();
            }
        }
        if (name.startsWith("canary.") && cause != null) {
            return cause.releaseId();
        }
        return CanaryEvent.NO_RELEASE;
    }

    private static String releaseOf(EventEnvelope<?> cause) {
        return cause == null ? CanaryEvent.NO_RELEASE : cause.releaseId();
    }

    private void emit(EventEnvelope<?> cause, CanaryEvent data) {
        try {
            publisher.publish(cause, data).toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            LOG.errorf("cannot publish %s: %s", data.getClass().getSimpleName(), e.toString());
        }
    }

    private void load() {
        if (stateFile.isEmpty() || !Files.isRegularFile(stateFile.get())) {
            return;
        }
        try {
            for (String line : Files.readAllLines(stateFile.get())) {
                String[] f = line.split("\t");
                if (f.length == 3 && fleet.app(f[0]).isPresent()) {
                    live.put(f[0], new LiveCanary(f[0], f[1], Arrays.asList(f[2].split(","))));
                }
            }
        } catch (IOException e) {
            LOG.warnf("cannot read %s: %s", stateFile.get(), e.getMessage());
        }
    }

    private void save() {
        if (stateFile.isEmpty()) {
            return;
        }
        Path file = stateFile.get();
        StringBuilder b = new StringBuilder();
        live.values()
                .forEach(
                        c ->
                                b.append(c.app())
                                        .append('\t')
                                        .append(c.releaseId())
                                        .append('\t')
                                        .append(String.join(",", c.hosts()))
                                        .append('\n'));
        try {
            Files.createDirectories(file.getParent());
            Path tmp = file.resolveSibling(STATE_FILE + ".tmp");
            Files.writeString(tmp, b);
            Files.move(
                    tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            LOG.warnf("cannot write %s: %s", file, e.getMessage());
        }
    }
}
