package dev.canaryrelease.deploy.domain;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.canaryrelease.events.EventEnvelope;
import dev.canaryrelease.events.analysis.CanaryJudge;
import dev.canaryrelease.events.analysis.ServerWindow;
import dev.canaryrelease.events.analysis.Verdict;
import dev.canaryrelease.events.analysis.Verdict.Outcome;
import dev.canaryrelease.events.model.AbortRequested;
import dev.canaryrelease.events.model.AnalysisVerdict;
import dev.canaryrelease.events.model.AnalysisWindow;
import dev.canaryrelease.events.model.BuildFailed;
import dev.canaryrelease.events.model.BuildRequested;
import dev.canaryrelease.events.model.BuildStarted;
import dev.canaryrelease.events.model.BuildSucceeded;
import dev.canaryrelease.events.model.CanaryEvent;
import dev.canaryrelease.events.model.CanaryLive;
import dev.canaryrelease.events.model.CanaryWeightRequested;
import dev.canaryrelease.events.model.DeployRequested;
import dev.canaryrelease.events.model.HostAnswerTimedOut;
import dev.canaryrelease.events.model.HostDrainFailed;
import dev.canaryrelease.events.model.HostDrained;
import dev.canaryrelease.events.model.HostEnableFailed;
import dev.canaryrelease.events.model.HostEnabled;
import dev.canaryrelease.events.model.HostUpdateFailed;
import dev.canaryrelease.events.model.HostUpdateRequested;
import dev.canaryrelease.events.model.HostUpdated;
import dev.canaryrelease.events.model.ImagePushed;
import dev.canaryrelease.events.model.ImageRejected;
import dev.canaryrelease.events.model.PauseRequested;
import dev.canaryrelease.events.model.PromotionRejected;
import dev.canaryrelease.events.model.PromotionRequested;
import dev.canaryrelease.events.model.ReleaseAborted;
import dev.canaryrelease.events.model.ReleaseFailed;
import dev.canaryrelease.events.model.ReleasePhaseChanged;
import dev.canaryrelease.events.model.ReleasePromoted;
import dev.canaryrelease.events.model.ReleaseRolledBack;
import dev.canaryrelease.events.model.ReleaseSuperseded;
import dev.canaryrelease.events.model.ResumeRequested;
import dev.canaryrelease.events.model.RollbackRequested;
import dev.canaryrelease.events.model.Stage;
import dev.canaryrelease.events.release.OperatorCommand;
import dev.canaryrelease.events.release.Phase;
import dev.canaryrelease.fleet.Fleet;

/**
 * The release state machine: one pure function {@code (release, event) → (release', commands)}.
 * Nothing here talks to Kafka or Docker; an event that does not fit the current state leaves the
 * release as it is and says why ({@link Transition#rejection()}).
 */
public final class ReleaseMachine {

    /** The outcome of one event: the new release, what to do, and why it was refused (or null). */
    public record Transition(Release release, List<Command> commands, String rejection) {
        public Transition {
            commands = List.copyOf(commands);
        }

        public boolean rejected() {
            return rejection != null;
        }
    }

    private ReleaseMachine() {}

    /** Applies one event to a release. */
    public static Transition apply(Release r, EventEnvelope<? extends CanaryEvent> e, Policy p) {
        Work w = new Work(r, e.time(), p);
        CanaryEvent d = e.data();
        if (d instanceof BuildRequested) {
            return w.reject(Reasons.DUPLICATE_RELEASE);
        } else if (d instanceof BuildStarted) {
            if (r.phase() != Phase.PENDING) return w.reject(Reasons.NOT_PENDING);
            w.phase = Phase.BUILDING;
        } else if (d instanceof BuildSucceeded s) {
            if (r.phase() != Phase.PENDING && r.phase() != Phase.BUILDING) {
                return w.reject(Reasons.NOT_PENDING);
            }
            w.phase = Phase.BUILT;
            w.digest = s.digest();
            w.tag = s.tag();
        } else if (d instanceof BuildFailed f) {
            if (!r.phase().beforeRollout()) return w.reject(Reasons.NOT_PENDING);
            w.phase = Phase.FAILED;
            w.reason = Reasons.BUILD_FAILED + ": " + f.reason();
            w.emit(new ReleaseFailed(r.id(), r.app(), r.digest(), w.reason));
        } else if (d instanceof ImageRejected ir) {
            // Only before any host was touched: anyone who can push to the registry can cause a
            // rejection, and a forged push must not be able to fail a canary or a promotion.
            if (!r.phase().beforeRollout()) return w.reject(Reasons.REJECTION_AFTER_ROLLOUT);
            w.phase = Phase.FAILED;
            w.reason = Reasons.IMAGE_REJECTED + ": " + ir.reason();
            w.emit(new ReleaseFailed(r.id(), r.app(), r.digest(), w.reason));
        } else if (d instanceof ImagePushed ip) {
            if (!r.phase().beforeRollout()) return w.reject(Reasons.ALREADY_ROLLING_OUT);
            w.image(ip);
            w.startCanary(p);
        } else if (d instanceof DeployRequested dr) {
            if (!r.phase().beforeRollout()) return w.reject(Reasons.ALREADY_ROLLING_OUT);
            w.image(dr.image());
            w.startCanary(p);
        } else if (d instanceof PromotionRequested pr) {
            OperatorCommand c = pr.full() ? OperatorCommand.FULL_PROMOTE : OperatorCommand.PROMOTE;
            String no = c.refusal(r.phase());
            if (no != null) return w.refuse(no);
            if (r.phase() == Phase.CANARY_LIVE) w.startPromotion(p);
            if (pr.full()) w.skipSteps();
        } else if (d instanceof AbortRequested a) {
            String no = OperatorCommand.ABORT.refusal(r.phase());
            if (no != null) return w.refuse(no);
            w.phase = Phase.ABORTED;
            w.reason = Reasons.ABORTED + a.operator() + reasonSuffix(a.reason());
            w.queued = false;
            w.emit(new ReleaseAborted(r.id(), r.app(), r.digest(), w.reason));
            w.startRevert();
        } else if (d instanceof PauseRequested pa) {
            String no = OperatorCommand.PAUSE.refusal(r.phase());
            if (no != null) return w.refuse(no);
            w.phase = Phase.PAUSED;
            w.pausedAt = e.time();
        } else if (d instanceof ResumeRequested re) {
            String no = OperatorCommand.RESUME.refusal(r.phase());
            if (no != null) return w.refuse(no);
            w.resume(p);
        } else if (d instanceof RollbackRequested rb) {
            String no = OperatorCommand.ROLLBACK.refusal(r.phase());
            if (no != null) return w.refuse(no);
            w.phase = Phase.ROLLING_BACK;
            w.reason = Reasons.ROLLBACK_REQUESTED + rb.operator() + reasonSuffix(rb.reason());
            w.startRevert();
        } else if (d instanceof HostDrained hd) {
            HostProgress h = r.host(hd.host());
            if (h == null) return w.reject(Reasons.HOST_NOT_IN_RELEASE);
            if (h.step() == HostStep.DRAINING) {
                w.put(h.to(HostStep.SWAPPING));
                w.commands.add(new Command.Swap(r.id(), r.app(), h.host(), h.stage(), r.digest()));
            } else if (h.step() == HostStep.REVERT_DRAINING) {
                w.put(h.to(HostStep.REVERT_SWAPPING));
                w.commands.add(
                        new Command.Restore(
                                r.id(), r.app(), h.host(), h.previousDigest(), r.digest()));
            } else {
                return w.reject(Reasons.HOST_NOT_DRAINING);
            }
        } else if (d instanceof HostDrainFailed df) {
            HostProgress h = r.host(df.host());
            if (h == null) return w.reject(Reasons.HOST_NOT_IN_RELEASE);
            if (h.step() == HostStep.DRAINING) {
                w.put(h.to(HostStep.SKIPPED).withReason(df.reason()));
                w.fail(Reasons.DRAIN_FAILED + df.host() + ": " + df.reason());
            } else if (h.step() == HostStep.REVERT_DRAINING) {
                w.put(h.to(HostStep.REVERT_FAILED).withReason(df.reason()));
            } else {
                return w.reject(Reasons.HOST_NOT_DRAINING);
            }
        } else if (d instanceof HostUpdated hu) {
            HostProgress h = r.host(hu.host());
            if (h == null) return w.reject(Reasons.HOST_NOT_IN_RELEASE);
            if (h.step() == HostStep.SWAPPING) {
                w.put(h.to(HostStep.ENABLING).withPrevious(hu.previousDigest()));
            } else if (h.step() == HostStep.REVERT_SWAPPING) {
                w.put(h.to(HostStep.REVERT_ENABLING));
            } else {
                return w.reject(Reasons.HOST_NOT_SWAPPING);
            }
        } else if (d instanceof HostUpdateFailed uf) {
            HostProgress h = r.host(uf.host());
            if (h == null) return w.reject(Reasons.HOST_NOT_IN_RELEASE);
            if (h.step() == HostStep.SWAPPING) {
                // The previous container runs again; the host is still out of the pool: this
                // host.updated is what lets the LB put it back.
                HostProgress back =
                        h.to(HostStep.REVERT_ENABLING, Stage.ROLLBACK)
                                .withPrevious(uf.previousDigest())
                                .withReason(uf.reason());
                w.put(back);
                w.emit(
                        new HostUpdated(
                                r.id(),
                                r.app(),
                                h.host(),
                                Stage.ROLLBACK,
                                uf.previousDigest(),
                                r.digest()));
                w.fail(Reasons.UPDATE_FAILED + uf.host() + ": " + uf.reason());
            } else if (h.step() == HostStep.REVERT_SWAPPING) {
                w.put(h.to(HostStep.REVERT_FAILED).withReason(uf.reason()));
            } else {
                return w.reject(Reasons.HOST_NOT_SWAPPING);
            }
        } else if (d instanceof HostEnabled he) {
            HostProgress h = r.host(he.host());
            if (h == null) return w.reject(Reasons.HOST_NOT_IN_RELEASE);
            if (h.step() == HostStep.ENABLING) {
                w.put(h.to(HostStep.DONE));
            } else if (h.step() == HostStep.REVERT_ENABLING) {
                w.put(h.to(HostStep.REVERTED));
            } else {
                return w.reject(Reasons.HOST_NOT_ENABLING);
            }
        } else if (d instanceof HostEnableFailed ef) {
            HostProgress h = r.host(ef.host());
            if (h == null) return w.reject(Reasons.HOST_NOT_IN_RELEASE);
            if (h.step() == HostStep.ENABLING) {
                // The LB put it back in maint: go back to the previous container right away.
                w.put(h.to(HostStep.REVERT_SWAPPING, Stage.ROLLBACK).withReason(ef.reason()));
                w.commands.add(
                        new Command.Restore(
                                r.id(), r.app(), h.host(), h.previousDigest(), r.digest()));
                w.fail(Reasons.ENABLE_FAILED + ef.host() + ": " + ef.reason());
            } else if (h.step() == HostStep.REVERT_ENABLING) {
                w.put(h.to(HostStep.REVERT_FAILED).withReason(ef.reason()));
            } else {
                return w.reject(Reasons.HOST_NOT_ENABLING);
            }
        } else if (d instanceof HostAnswerTimedOut t) {
            HostProgress h = r.host(t.host());
            if (h == null) return w.reject(Reasons.HOST_NOT_IN_RELEASE);
            if (!h.step().name().equals(t.step())) return w.reject(Reasons.ANSWER_ALREADY_CAME);
            w.answerTimedOut(h, t.reason());
        } else if (d instanceof AnalysisWindow aw) {
            Fleet.Analysis a = p.analysisOf(r.app());
            if (a == null) return w.reject(Reasons.NOT_ANALYSED);
            Verdict v;
            if (r.phase() == Phase.CANARY_LIVE) {
                v = CanaryJudge.judge(aw.servers(), aw.problems(), a);
            } else if (r.phase() == Phase.PROMOTING || r.phase() == Phase.PAUSED) {
                v = watch(r, aw, a);
            } else {
                return w.reject(Reasons.NOT_WATCHED);
            }
            w.analysed(aw, a, v, p);
        } else {
            return w.reject(Reasons.NOT_HANDLED);
        }
        w.advance(p);
        return w.done();
    }

    /**
     * The watch of a promotion (PROMOTING or PAUSED): the hosts on the new image ({@code DONE} in
     * this release, the canaries among them) against the rest. Pure. In order: a problem reading →
     * inconclusive; one of them HAProxy marks DOWN → fail; one with at least {@code minRequests}
     * requests whose error rate is above {@code maxErrorRate}, or all of them together → fail
     * (whatever the others do: the release is already on its way to every host); otherwise pass.
     * The numbers are the judge's of the new-image hosts against the others.
     */
    public static Verdict watch(Release r, AnalysisWindow aw, Fleet.Analysis a) {
        java.util.Set<String> updated = new java.util.HashSet<>();
        r.hosts().values().stream()
                .filter(h -> h.step() == HostStep.DONE)
                .forEach(h -> updated.add(h.host()));
        List<ServerWindow> relabelled =
                aw.servers().stream()
                        .map(
                                s ->
                                        new ServerWindow(
                                                s.host(),
                                                s.server(),
                                                updated.contains(s.host()),
                                                s.status(),
                                                s.requests(),
                                                s.http5xx(),
                                                s.connectionErrors(),
                                                s.responseErrors(),
                                                s.latency(),
                                                s.retries()))
                        .toList();
        Verdict.Numbers n = CanaryJudge.judge(relabelled, aw.problems(), a).numbers();
        if (!aw.problems().isEmpty()) {
            return new Verdict(
                    Outcome.INCONCLUSIVE,
                    "HAProxy's numbers could not be read: " + String.join("; ", aw.problems()),
                    n);
        }
        List<ServerWindow> mine = relabelled.stream().filter(ServerWindow::canary).toList();
        if (mine.isEmpty()) {
            return new Verdict(Outcome.INCONCLUSIVE, "no host on the new image in the window", n);
        }
        for (ServerWindow s : mine) {
            if (s.down()) {
                return new Verdict(
                        Outcome.FAIL,
                        "HAProxy marks "
                                + s.host()
                                + " "
                                + s.status()
                                + " while it serves the new image",
                        n);
            }
        }
        long requests = 0;
        long errors = 0;
        for (ServerWindow s : mine) {
            requests += s.requests();
            errors += s.errors();
            if (s.requests() >= a.minRequests() && s.errors() > a.maxErrorRate() * s.requests()) {
                return new Verdict(
                        Outcome.FAIL,
                        s.host()
                                + " on the new image failed "
                                + s.errors()
                                + " of "
                                + s.requests()
                                + " requests ("
                                + percent(s.errors(), s.requests())
                                + "), above maxErrorRate "
                                + Fleet.percent(a.maxErrorRate()),
                        n);
            }
        }
        if (requests >= a.minRequests() && errors > a.maxErrorRate() * requests) {
            return new Verdict(
                    Outcome.FAIL,
                    "the hosts on the new image failed "
                            + errors
                            + " of "
                            + requests
                            + " requests ("
                            + percent(errors, requests)
                            + "), above maxErrorRate "
                            + Fleet.percent(a.maxErrorRate()),
                    n);
        }
        return new Verdict(
                Outcome.PASS,
                "the "
                        + mine.size()
                        + " hosts on the new image are up and failed "
                        + errors
                        + " of "
                        + requests
                        + " requests",
                n);
    }

    /** {@code 1 of 2 (5%)}. */
    private static String stepName(Fleet.Analysis a, int step) {
        return step + " of " + a.weights().size() + " (" + Fleet.percent(a.share(step)) + ")";
    }

    private static String percent(long part, long whole) {
        return String.format(
                java.util.Locale.ROOT, "%.2f%%", whole == 0 ? 0 : 100.0 * part / whole);
    }

    /** A new image that must wait for the app's running rollout to end. */
    public static Transition queue(Release r, ImagePushed ip, Instant at) {
        Work w = new Work(r, at, null);
        if (!r.phase().beforeRollout()) return w.reject(Reasons.ALREADY_ROLLING_OUT);
        w.image(ip);
        w.phase = Phase.BUILT;
        w.queued = true;
        return w.done();
    }

    /** Starts the canary of a queued release (the app's slot is free now). */
    public static Transition start(Release r, Policy p, Instant at) {
        Work w = new Work(r, at, p);
        if (!r.phase().beforeRollout() || r.digest() == null) {
            return w.reject(Reasons.ALREADY_ROLLING_OUT);
        }
        w.queued = false;
        w.startCanary(p);
        w.advance(p);
        return w.done();
    }

    /** A newer image of the app replaces this release (canary stage or queued). */
    public static Transition supersede(Release r, String by, Policy p, Instant at) {
        Work w = new Work(r, at, p);
        if (!(r.phase().canary() || r.phase().beforeRollout())) {
            return w.reject(Reasons.ALREADY_ROLLING_OUT);
        }
        w.phase = Phase.SUPERSEDED;
        w.queued = false;
        w.supersededBy = by;
        w.reason = Reasons.SUPERSEDED;
        w.emit(new ReleaseSuperseded(r.id(), r.app(), r.digest(), Reasons.SUPERSEDED, by));
        for (HostProgress h : r.hosts().values()) {
            if (h.step() == HostStep.WAITING) w.put(h.to(HostStep.SKIPPED));
        }
        w.advance(p);
        return w.done();
    }

    /**
     * The abort the deploy service asks for itself when a promotion outlives its deadline (only if
     * the release is still PROMOTING): every host goes back to the previous image.
     */
    public static AbortRequested promotionDeadline(Release r, Policy p) {
        return new AbortRequested(
                r.id(),
                r.app(),
                "deploy-service",
                Reasons.PROMOTION_DEADLINE
                        + p.promotionDeadline().toString().substring(2).toLowerCase());
    }

    /**
     * lb-service's answer on {@code host} is overdue (the caller checked that the host still
     * waits): the event the service publishes, and then applies, to compensate.
     */
    public static HostAnswerTimedOut answerTimedOut(Release r, String host, Policy p) {
        HostProgress h = r.host(host);
        String awaited = h.step().awaitedAnswer();
        return new HostAnswerTimedOut(
                r.id(),
                r.app(),
                host,
                h.stage(),
                h.step().name(),
                awaited,
                Reasons.NO_LB_ANSWER
                        + awaited
                        + " for "
                        + host
                        + " within "
                        + p.answerDeadline(h.step()).toString().substring(2).toLowerCase());
    }

    /** Automatic promotion after the bake time: only if the release is still CANARY_LIVE. */
    public static PromotionRequested autoPromotion(Release r, Policy p) {
        return new PromotionRequested(
                r.id(), r.app(), "deploy-service", Reasons.AUTO_PROMOTE + " " + p.bakeTime());
    }

    private static String reasonSuffix(String reason) {
        return reason == null || reason.isBlank() ? "" : ": " + reason;
    }

    /** A mutable working copy of a release while one event is applied. */
    private static final class Work {
        final Release r;
        final Instant at;
        final Policy policy;
        Phase phase;
        String digest;
        String repository;
        String tag;
        final Map<String, HostProgress> hosts;
        List<List<String>> plan;
        int batch;
        boolean queued;
        Instant canaryLiveAt;
        String supersededBy;
        String reason;
        String pushedBy;
        Instant promotionDeadline;
        Instant pausedAt;
        int analysisFailures;
        int weightStep;
        final List<Command> commands = new ArrayList<>();

        Work(Release r, Instant at, Policy policy) {
            this.r = r;
            this.at = at;
            this.policy = policy;
            phase = r.phase();
            digest = r.digest();
            repository = r.repository();
            tag = r.tag();
            hosts = new LinkedHashMap<>(r.hosts());
            plan = r.plan();
            batch = r.batch();
            queued = r.queued();
            canaryLiveAt = r.canaryLiveAt();
            supersededBy = r.supersededBy();
            reason = r.reason();
            pushedBy = r.pushedBy();
            promotionDeadline = r.promotionDeadline();
            pausedAt = r.pausedAt();
            analysisFailures = r.analysisFailures();
            weightStep = r.weightStep();
        }

        Transition done() {
            if (phase != Phase.PAUSED) pausedAt = null;
            if (phase != r.phase()) {
                // every move of the machine is announced: readers show the last one
                emit(new ReleasePhaseChanged(r.id(), r.app(), phase, r.phase()));
            }
            return new Transition(
                    new Release(
                            r.id(),
                            r.app(),
                            phase,
                            digest,
                            repository,
                            tag,
                            hosts,
                            plan,
                            batch,
                            queued,
                            canaryLiveAt,
                            supersededBy,
                            reason,
                            at,
                            pushedBy,
                            promotionDeadline,
                            pausedAt,
                            analysisFailures,
                            weightStep),
                    commands,
                    null);
        }

        Transition reject(String why) {
            return new Transition(r, List.of(), why);
        }

        /** A refused operator command: the release stays, the refusal is published. */
        Transition refuse(String why) {
            return new Transition(
                    r,
                    List.of(
                            new Command.Emit(
                                    new PromotionRejected(r.id(), r.app(), why, r.phase().name()))),
                    why);
        }

        void emit(CanaryEvent data) {
            commands.add(new Command.Emit(data));
        }

        /**
         * Sets a host's progress; a host that starts waiting for lb-service's answer gets the
         * deadline of that wait.
         */
        void put(HostProgress h) {
            HostProgress before = hosts.put(h.host(), h);
            if (policy != null
                    && h.step().awaitedAnswer() != null
                    && (before == null || before.step() != h.step())) {
                Duration deadline = policy.answerDeadline(h.step());
                commands.add(
                        new Command.ScheduleAnswerDeadline(
                                r.id(), h.host(), h.step(), at.plus(deadline), deadline));
            }
        }

        void image(ImagePushed ip) {
            digest = ip.digest();
            repository = ip.repository();
            tag = ip.tag();
            pushedBy = ip.pushedBy();
        }

        void startCanary(Policy p) {
            phase = Phase.CANARY_UPDATING;
            Fleet.Analysis a = p.analysisOf(r.app());
            if (a != null && a.weighted()) {
                // before the first drain: the canary comes back into the pool at its step's weight
                weight(a, 1, p);
            }
            for (String h : p.canaryHosts()) {
                put(HostProgress.waiting(h, Stage.CANARY));
            }
        }

        void startPromotion(Policy p) {
            phase = Phase.PROMOTING;
            analysisFailures = 0; // the promotion's watch counts its own failed windows
            plan = p.batches();
            batch = 0;
            for (String h : p.productionHosts()) {
                put(HostProgress.waiting(h, Stage.PROMOTION));
            }
            deadline(at.plus(p.promotionDeadline()));
        }

        /**
         * One judged analysis window: its verdict is published with the numbers; the {@code
         * failureLimit}-th failed window aborts the release (every host back on the previous
         * image), with the numbers in the reason; a pass of a live canary promotes it when the
         * fleet says {@code autoPromote: analysis} and the bake time is over; an inconclusive one
         * never promotes: the release waits for an operator, and the verdict says why.
         */
        void analysed(AnalysisWindow aw, Fleet.Analysis a, Verdict v, Policy p) {
            boolean live = phase == Phase.CANARY_LIVE;
            String stage = live ? "canary analysis" : "promotion watch";
            String why = v.reason();
            boolean abort = false;
            boolean promote = false;
            // a weighted canary before its last step: a pass moves it on, never promotes
            // (0: not weighted, also a canary started before its fleet had weights)
            int judgedAt =
                    live && a.weighted() && weightStep > 0
                            ? Math.min(weightStep, a.weights().size())
                            : 0;
            boolean stepsLeft = judgedAt > 0 && judgedAt < a.weights().size();
            if (v.outcome() == Outcome.FAIL) {
                analysisFailures++;
                abort = analysisFailures >= a.failureLimit();
                why +=
                        "; failed window "
                                + analysisFailures
                                + " of failureLimit "
                                + a.failureLimit()
                                + (abort ? ": the release aborts" : "");
            } else if (stepsLeft) {
                if (v.outcome() == Outcome.PASS) {
                    why +=
                            "; weighted step "
                                    + stepName(a, judgedAt)
                                    + " passed: the canary moves to step "
                                    + stepName(a, judgedAt + 1);
                } else {
                    why +=
                            "; the canary stays at weighted step "
                                    + stepName(a, judgedAt)
                                    + ": waiting for an operator (promote or abort), or a window"
                                    + " that passes";
                }
            } else if (live && p.promoteOnAnalysis()) {
                Instant baked = canaryLiveAt == null ? at : canaryLiveAt.plus(p.bakeTime());
                if (v.outcome() == Outcome.PASS) {
                    promote = !at.isBefore(baked);
                    if (!promote) why += "; promotes after bakeTime " + p.bakeTime();
                } else {
                    why += "; not promoted: waiting for an operator";
                }
            }
            if (judgedAt > 0
                    && !stepsLeft
                    && v.outcome() == Outcome.PASS
                    && !p.promoteOnAnalysis()) {
                why +=
                        "; the last weighted step "
                                + stepName(a, judgedAt)
                                + " passed: the canary stays at it until an operator promotes";
            }
            emit(
                    new AnalysisVerdict(
                            r.id(),
                            r.app(),
                            aw.index(),
                            v.outcome(),
                            why,
                            v.numbers(),
                            analysisFailures,
                            a.failureLimit(),
                            judgedAt,
                            judgedAt > 0 ? a.share(judgedAt) : null));
            if (abort) {
                phase = Phase.ABORTED;
                reason =
                        Reasons.ANALYSIS_ABORTED
                                + stage
                                + " failed window "
                                + aw.index()
                                + ": "
                                + v.reason();
                queued = false;
                emit(new ReleaseAborted(r.id(), r.app(), digest, reason));
                startRevert();
            } else if (promote) {
                reason = Reasons.ANALYSIS_PROMOTED + aw.index() + ": " + v.reason();
                startPromotion(p);
            } else if (stepsLeft && v.outcome() == Outcome.PASS) {
                weight(a, judgedAt + 1, p);
            } else if (stepsLeft && v.outcome() == Outcome.INCONCLUSIVE) {
                reason =
                        Reasons.ANALYSIS_WAITS
                                + aw.index()
                                + " inconclusive at weighted step "
                                + stepName(a, judgedAt)
                                + ": "
                                + v.reason();
            } else if (live && p.promoteOnAnalysis() && v.outcome() == Outcome.INCONCLUSIVE) {
                reason = Reasons.ANALYSIS_WAITS + aw.index() + " inconclusive: " + v.reason();
            }
        }

        /** Asks lb-service to give the canary the share of weighted step {@code step}. */
        void weight(Fleet.Analysis a, int step, Policy p) {
            weightStep = step;
            emit(
                    new CanaryWeightRequested(
                            r.id(),
                            r.app(),
                            p.canaryHosts(),
                            step,
                            a.weights().size(),
                            a.share(step)));
        }

        /** The promotion's deadline is {@code when}: the one timer that counts from now on. */
        void deadline(Instant when) {
            promotionDeadline = when;
            commands.add(new Command.SchedulePromotionDeadline(r.id(), when));
        }

        /**
         * A paused promotion goes on: the time it was paused is added to its deadline (a release
         * promoted before deadlines were kept gets the whole deadline from now), and the next batch
         * starts in {@link #advance}.
         */
        void resume(Policy p) {
            phase = Phase.PROMOTING;
            if (promotionDeadline == null || pausedAt == null) {
                deadline(at.plus(p.promotionDeadline()));
            } else {
                deadline(promotionDeadline.plus(Duration.between(pausedAt, at)));
            }
            pausedAt = null;
        }

        /**
         * A full promotion: the batches not yet done become one, the current batch and every later
         * host ({@code maxUnavailable} still bounds how many are out of the pool at once).
         */
        void skipSteps() {
            if (batch >= plan.size()) return;
            List<List<String>> merged = new ArrayList<>(plan.subList(0, batch));
            merged.add(plan.subList(batch, plan.size()).stream().flatMap(List::stream).toList());
            plan = merged;
        }

        /**
         * lb-service did not answer in time. Whatever it did meanwhile, the host is put back: a
         * host whose container was not changed gets {@code host.update-failed} (lb-service
         * re-enables a host on it, when it answers again; registry-service keeps its digests), a
         * swapped host that was not enabled goes back to its previous container (as after {@code
         * host.enable-failed}). The rollout fails with the reason; a revert that cannot finish is
         * marked failed on the host.
         */
        void answerTimedOut(HostProgress h, String why) {
            switch (h.step()) {
                case DRAINING -> {
                    put(h.to(HostStep.REVERT_ENABLING, Stage.ROLLBACK).withReason(why));
                    emitPutBack(h, why);
                    fail(why);
                }
                case ENABLING -> {
                    put(h.to(HostStep.REVERT_SWAPPING, Stage.ROLLBACK).withReason(why));
                    commands.add(
                            new Command.Restore(
                                    r.id(), r.app(), h.host(), h.previousDigest(), r.digest()));
                    fail(why);
                }
                case REVERT_DRAINING -> {
                    // Never swapped in this release: as it was, only back into the pool. Swapped:
                    // it still serves the new image, so the revert failed on it.
                    HostStep next =
                            h.previousDigest() == null
                                    ? HostStep.REVERT_ENABLING
                                    : HostStep.REVERT_FAILED;
                    put(h.to(next).withReason(why));
                    emitPutBack(h, why);
                }
                case REVERT_ENABLING -> {
                    // The request it waited on may be gone with its record (retention, or lost):
                    // ask once more, in a fresh record, so the host does not stay out for ever.
                    put(h.to(HostStep.REVERT_FAILED).withReason(why));
                    emitPutBack(h, why);
                }
                default -> {
                    // not waiting for lb-service: the caller checked the step
                }
            }
        }

        /**
         * Asks lb-service to put the host back into the pool as it is (it acts when it answers).
         */
        void emitPutBack(HostProgress h, String why) {
            emit(
                    new HostUpdateFailed(
                            r.id(),
                            r.app(),
                            h.host(),
                            Stage.ROLLBACK,
                            digest,
                            h.previousDigest(),
                            why,
                            ""));
        }

        /** Ends the rollout as failed (once) and sends every touched host back. */
        void fail(String why) {
            if (phase.canary() || phase == Phase.PROMOTING || phase == Phase.PAUSED) {
                phase = Phase.FAILED;
                reason = why;
                emit(new ReleaseFailed(r.id(), r.app(), digest, why));
                startRevert();
            } else if (reason == null) {
                reason = why;
            }
        }

        /** No new steps; hosts on the new image are marked to go back to the previous one. */
        void startRevert() {
            for (HostProgress h : List.copyOf(hosts.values())) {
                switch (h.step()) {
                    case WAITING -> put(h.to(HostStep.SKIPPED));
                    // Being drained for the new image: nothing changed yet, re-enable it as it is.
                    case DRAINING -> put(h.to(HostStep.REVERT_DRAINING, Stage.ROLLBACK));
                    case DONE -> put(h.to(HostStep.REVERT_PENDING, Stage.ROLLBACK));
                    default -> {
                        // SWAPPING/ENABLING finish their cycle first, then go back (advance).
                    }
                }
            }
        }

        boolean reverting() {
            return phase == Phase.FAILED || phase == Phase.ABORTED || phase == Phase.ROLLING_BACK;
        }

        long inFlight() {
            return hosts.values().stream().filter(h -> h.step().inFlight()).count();
        }

        void request(HostProgress h, HostStep step, Stage stage, String wanted) {
            // the request first: the wait (and its deadline) starts when it is sent
            emit(new HostUpdateRequested(r.id(), r.app(), h.host(), stage, wanted));
            put(h.to(step, stage));
        }

        /** Starts what may start now and moves the phase on when a stage is complete. */
        void advance(Policy p) {
            if (reverting()) {
                for (HostProgress h : List.copyOf(hosts.values())) {
                    if (h.step() == HostStep.DONE)
                        put(h.to(HostStep.REVERT_PENDING, Stage.ROLLBACK));
                }
                for (HostProgress h : List.copyOf(hosts.values())) {
                    if (inFlight() >= p.maxUnavailable()) break;
                    if (h.step() == HostStep.REVERT_PENDING) {
                        request(h, HostStep.REVERT_DRAINING, Stage.ROLLBACK, h.previousDigest());
                    }
                }
                if (phase == Phase.ROLLING_BACK && inFlight() == 0) {
                    List<String> failed =
                            hosts.values().stream()
                                    .filter(h -> h.step() == HostStep.REVERT_FAILED)
                                    .map(HostProgress::host)
                                    .toList();
                    if (hosts.values().stream()
                            .noneMatch(h -> h.step() == HostStep.REVERT_PENDING)) {
                        if (failed.isEmpty()) {
                            phase = Phase.ROLLED_BACK;
                            reason = Reasons.ROLLED_BACK;
                            emit(new ReleaseRolledBack(r.id(), r.app(), digest, reason));
                        } else {
                            phase = Phase.FAILED;
                            reason = "rollback failed on " + failed;
                            emit(new ReleaseFailed(r.id(), r.app(), digest, reason));
                        }
                    }
                }
                return;
            }
            if (phase == Phase.CANARY_UPDATING) {
                List<String> scope = p.canaryHosts();
                if (scope.stream().allMatch(h -> hosts.get(h).step() == HostStep.DONE)) {
                    phase = Phase.CANARY_LIVE;
                    canaryLiveAt = at;
                    emit(new CanaryLive(r.id(), r.app(), scope, digest));
                    if (p.autoPromote()) {
                        commands.add(
                                new Command.ScheduleAutoPromotion(r.id(), at.plus(p.bakeTime())));
                    }
                } else {
                    fill(scope, p, Stage.CANARY);
                }
            } else if (phase == Phase.PROMOTING || phase == Phase.PAUSED) {
                while (batch < plan.size()
                        && plan.get(batch).stream()
                                .allMatch(h -> hosts.get(h).step() == HostStep.DONE)) {
                    batch++;
                }
                if (batch >= plan.size()) {
                    // paused in the last batch: nothing is left to hold, the release is done
                    phase = Phase.PROMOTED;
                    reason = Reasons.PROMOTED;
                    emit(new ReleasePromoted(r.id(), r.app(), digest, reason));
                } else if (phase == Phase.PROMOTING || started(plan.get(batch))) {
                    // paused: the batch in flight finishes, a batch not yet begun waits
                    fill(plan.get(batch), p, Stage.PROMOTION);
                }
            }
        }

        /** Some host of the batch has left WAITING (the batch is in flight). */
        boolean started(List<String> scope) {
            return scope.stream().anyMatch(h -> hosts.get(h).step() != HostStep.WAITING);
        }

        void fill(List<String> scope, Policy p, Stage stage) {
            for (String name : scope) {
                if (inFlight() >= p.maxUnavailable()) return;
                HostProgress h = hosts.get(name);
                if (h.step() == HostStep.WAITING) request(h, HostStep.DRAINING, stage, digest);
            }
        }
    }
}
