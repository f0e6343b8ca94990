package dev.canaryrelease.deploy.domain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import dev.canaryrelease.events.EventEnvelope;
import dev.canaryrelease.events.model.AbortRequested;
import dev.canaryrelease.events.model.BuildFailed;
import dev.canaryrelease.events.model.BuildRequested;
import dev.canaryrelease.events.model.BuildStarted;
import dev.canaryrelease.events.model.BuildSucceeded;
import dev.canaryrelease.events.model.CanaryEvent;
import dev.canaryrelease.events.model.CanaryLive;
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

class ReleaseMachineTest {
    static final String APP = "example";
    static final String V1 = "sha256:" + "1".repeat(64);
    static final String V2 = "sha256:" + "2".repeat(64);
    static final String V3 = "sha256:" + "3".repeat(64);

    Policy policy =
            new Policy(
                    List.of("c0"),
                    List.of("p1", "p2", "p3"),
                    List.of("1", "50%", "100%"),
                    1,
                    false,
                    Duration.ZERO);
    Rollouts rollouts = new Rollouts(policy, Set.of(APP));
    Instant clock = Instant.parse("2026-01-01T00:00:00Z");
    List<Command> last = List.of();

    Rollouts.Outcome send(CanaryEvent data) {
        clock = clock.plusMillis(10);
        var e =
                new EventEnvelope<>(
                        UUID.randomUUID().toString(),
                        dev.canaryrelease.events.EventType.of(data),
                        "/test",
                        data.releaseId(),
                        clock,
                        null,
                        data);
        Rollouts.Outcome o = rollouts.handle(e);
        last = o.commands();
        return o;
    }

    Release release(String id) {
        return rollouts.release(id).orElseThrow();
    }

    <T> List<T> emitted(Class<T> type) {
        List<T> out = new ArrayList<>();
        for (Command c : last) {
            if (c instanceof Command.Emit em && type.isInstance(em.data())) {
                out.add(type.cast(em.data()));
            }
        }
        return out;
    }

    <T extends Command> List<T> commands(Class<T> type) {
        return last.stream().filter(type::isInstance).map(type::cast).toList();
    }

    // --- driving a release through its host cycles --------------------------------------------

    void cycle(String id, String host, Stage stage, String previous) {
        send(new HostDrained(id, APP, host, stage, 0, 1, false));
        send(new HostUpdated(id, APP, host, stage, release(id).digest(), previous));
        send(new HostEnabled(id, APP, host, stage));
    }

    void revertCycle(String id, String host) {
        send(new HostDrained(id, APP, host, Stage.ROLLBACK, 0, 1, false));
        send(new HostUpdated(id, APP, host, Stage.ROLLBACK, V1, release(id).digest()));
        send(new HostEnabled(id, APP, host, Stage.ROLLBACK));
    }

    String pushed(String id, String digest) {
        send(new ImagePushed(id, APP, "example-app", digest.substring(7, 19), digest));
        return id;
    }

    String canaryLive(String id) {
        pushed(id, V2);
        cycle(id, "c0", Stage.CANARY, V1);
        return id;
    }

    String promoted(String id) {
        canaryLive(id);
        send(new PromotionRequested(id, "alice", null));
        for (String h : List.of("p1", "p2", "p3")) cycle(id, h, Stage.PROMOTION, V1);
        return id;
    }

    /** A release in {@code phase} with its hosts settled (no host in flight). */
    String reach(Phase phase) {
        String id = phase.name().toLowerCase() + "-" + UUID.randomUUID();
        switch (phase) {
            case PENDING -> send(build(id));
            case BUILDING -> {
                send(build(id));
                send(new BuildStarted(id, APP, "abc", null));
            }
            case BUILT -> {
                send(build(id));
                send(new BuildSucceeded(id, APP, "example-app", "t", V2, 1, null));
            }
            case CANARY_UPDATING -> pushed(id, V2);
            case CANARY_LIVE -> canaryLive(id);
            case PROMOTING -> {
                canaryLive(id);
                send(new PromotionRequested(id, "alice", null));
            }
            case PAUSED -> {
                canaryLive(id);
                send(new PromotionRequested(id, "alice", null));
                send(new PauseRequested(id, "alice", null));
                cycle(id, "p1", Stage.PROMOTION, V1);
            }
            case PROMOTED -> promoted(id);
            case FAILED -> {
                send(build(id));
                send(new BuildFailed(id, APP, "compile error", 1, null));
            }
            case ROLLING_BACK -> {
                promoted(id);
                send(new RollbackRequested(id, "alice", null));
            }
            case ROLLED_BACK -> {
                promoted(id);
                send(new RollbackRequested(id, "alice", null));
                for (String h : List.of("c0", "p1", "p2", "p3")) revertCycle(id, h);
            }
            case ABORTED -> {
                send(build(id));
                send(new AbortRequested(id, "alice", null));
            }
            case SUPERSEDED -> {
                canaryLive(id);
                pushed("newer-" + id, V3);
            }
        }
        assertEquals(phase, release(id).phase(), "fixture for " + phase);
        return id;
    }

    static BuildRequested build(String id) {
        return new BuildRequested(id, APP, "o/r", "u", "refs/heads/main", "abc", "me", "d");
    }

    // --- legal transitions ---------------------------------------------------------------------

    @Test
    void buildEventsMovePendingToBuildingToBuilt() {
        send(build("r1"));
        assertEquals(Phase.PENDING, release("r1").phase());
        send(new BuildStarted("r1", APP, "abc", null));
        assertEquals(Phase.BUILDING, release("r1").phase());
        send(new BuildSucceeded("r1", APP, "example-app", "t", V2, 1, null));
        assertEquals(Phase.BUILT, release("r1").phase());
        assertEquals(V2, release("r1").digest());
        // nothing to do before the image is pushed; only the move is announced
        assertEquals(
                List.of(
                        new Command.Emit(
                                new ReleasePhaseChanged("r1", APP, Phase.BUILT, Phase.BUILDING))),
                last);
    }

    @Test
    void theReleaseRecordsWhoPushedItsImageThroughEveryLaterStep() {
        send(new ImagePushed("r1", APP, "example-app", "t", V2, "ci-user"));
        assertEquals("ci-user", release("r1").pushedBy());
        assertEquals(Phase.CANARY_UPDATING, release("r1").phase());
        cycle("r1", "c0", Stage.CANARY, V1);
        assertEquals(Phase.CANARY_LIVE, release("r1").phase());
        assertEquals("ci-user", release("r1").pushedBy(), "kept by later transitions");
        pushed("r2", V2);
        assertEquals(null, release("r2").pushedBy(), "not known: null");
    }

    @Test
    void anImageRejectedByTheRegistryFailsTheReleaseAndTouchesNoHost() {
        // a build whose registry push was refused (another digest than the build's): no
        // image.pushed ever comes; the release fails with the registry's reason, no host touched
        send(new BuildSucceeded("r1", APP, "example-app", "t", V2, 1, null));
        Rollouts.Outcome o =
                send(
                        new dev.canaryrelease.events.model.ImageRejected(
                                "r1", APP, "example-app", "t", V1, V2, "someone", "forged"));
        assertEquals(Phase.FAILED, release("r1").phase());
        assertTrue(release("r1").hosts().isEmpty());
        assertEquals(1, emitted(ReleaseFailed.class).size(), o.commands().toString());
        assertEquals(
                Reasons.IMAGE_REJECTED + ": forged", emitted(ReleaseFailed.class).get(0).reason());
        assertTrue(o.commands().stream().allMatch(c -> c instanceof Command.Emit), o.toString());
        // an unlabelled push refused: an unknown release, nothing at all
        o =
                send(
                        new dev.canaryrelease.events.model.ImageRejected(
                                "r2", APP, "example-app", "u", V2, null, "someone", "no"));
        assertTrue(o.commands().isEmpty());
        assertTrue(rollouts.release("r2").isEmpty());
    }

    @Test
    void aRejectionOfAReleaseAlreadyRollingOutChangesNothing() {
        // a forged push naming a release whose canary is being updated must not fail it
        send(new BuildSucceeded("r1", APP, "example-app", "t", V2, 1, null));
        send(new ImagePushed("r1", APP, "example-app", "t", V2, "build-service"));
        Phase before = release("r1").phase();
        assertEquals(Phase.CANARY_UPDATING, before);
        Rollouts.Outcome o =
                send(
                        new dev.canaryrelease.events.model.ImageRejected(
                                "r1", APP, "example-app", "t", V1, V2, "someone", "forged"));
        assertTrue(o.commands().isEmpty(), o.commands().toString());
        assertEquals(List.of("r1: " + Reasons.REJECTION_AFTER_ROLLOUT), o.rejections());
        assertEquals(before, release("r1").phase());
    }

    @Test
    void buildFailedFailsTheRelease() {
        send(build("r1"));
        send(new BuildFailed("r1", APP, "compile error", 1, null));
        assertEquals(Phase.FAILED, release("r1").phase());
        assertEquals(1, emitted(ReleaseFailed.class).size());
        assertTrue(emitted(ReleaseFailed.class).get(0).reason().contains("compile error"));
    }

    @Test
    void imagePushedStartsTheCanaryOnTheCanaryHosts() {
        send(build("r1"));
        send(new BuildSucceeded("r1", APP, "example-app", "t", V2, 1, null));
        pushed("r1", V2);
        assertEquals(Phase.CANARY_UPDATING, release("r1").phase());
        List<HostUpdateRequested> req = emitted(HostUpdateRequested.class);
        assertEquals(1, req.size());
        assertEquals("c0", req.get(0).host());
        assertEquals(Stage.CANARY, req.get(0).stage());
        assertEquals(V2, req.get(0).digest());
    }

    @Test
    void everyMoveOfThePhaseIsAnnouncedOnceAndNothingElseIs() {
        send(build("r1"));
        assertEquals(List.of(), emitted(ReleasePhaseChanged.class), "PENDING is where all start");
        send(new BuildStarted("r1", APP, "c", null));
        assertEquals(
                List.of(new ReleasePhaseChanged("r1", APP, Phase.BUILDING, Phase.PENDING)),
                emitted(ReleasePhaseChanged.class));
        send(new BuildSucceeded("r1", APP, "example-app", "t", V2, 1, null));
        assertEquals(Phase.BUILT, emitted(ReleasePhaseChanged.class).get(0).phase());
        pushed("r1", V2);
        assertEquals(
                List.of(new ReleasePhaseChanged("r1", APP, Phase.CANARY_UPDATING, Phase.BUILT)),
                emitted(ReleasePhaseChanged.class));
        send(new HostDrained("r1", APP, "c0", Stage.CANARY, 0, 1, false));
        assertEquals(List.of(), emitted(ReleasePhaseChanged.class), "a host step is no phase");
        send(new HostUpdated("r1", APP, "c0", Stage.CANARY, V2, V1));
        send(new HostEnabled("r1", APP, "c0", Stage.CANARY));
        assertEquals(
                List.of(
                        new ReleasePhaseChanged(
                                "r1", APP, Phase.CANARY_LIVE, Phase.CANARY_UPDATING)),
                emitted(ReleasePhaseChanged.class));
        // a refused command moves nothing
        send(new RollbackRequested("r1", "alice", null));
        assertEquals(List.of(), emitted(ReleasePhaseChanged.class));
        send(new AbortRequested("r1", "alice", "no"));
        assertEquals(
                List.of(new ReleasePhaseChanged("r1", APP, Phase.ABORTED, Phase.CANARY_LIVE)),
                emitted(ReleasePhaseChanged.class));
    }

    @Test
    void imagePushedByHandStartsANewRelease() {
        pushed("by-hand", V2);
        assertEquals(Phase.CANARY_UPDATING, release("by-hand").phase());
    }

    @Test
    void drainedSwapsUpdatedEnablesAndTheLastEnabledCanaryIsLive() {
        pushed("r1", V2);
        send(new HostDrained("r1", APP, "c0", Stage.CANARY, 0, 1, false));
        assertEquals(HostStep.SWAPPING, release("r1").host("c0").step());
        assertEquals(
                List.of(new Command.Swap("r1", APP, "c0", Stage.CANARY, V2)),
                commands(Command.Swap.class));
        send(new HostUpdated("r1", APP, "c0", Stage.CANARY, V2, V1));
        assertEquals(HostStep.ENABLING, release("r1").host("c0").step());
        assertEquals(V1, release("r1").host("c0").previousDigest());
        send(new HostEnabled("r1", APP, "c0", Stage.CANARY));
        assertEquals(Phase.CANARY_LIVE, release("r1").phase());
        CanaryLive live = emitted(CanaryLive.class).get(0);
        assertEquals(List.of("c0"), live.hosts());
        assertEquals(V2, live.digest());
    }

    @Test
    void promotionRunsTheStepsOneHostAtATimeAndEndsPromoted() {
        canaryLive("r1");
        send(new PromotionRequested("r1", "alice", "looks good"));
        assertEquals(Phase.PROMOTING, release("r1").phase());
        assertEquals(List.of(List.of("p1"), List.of("p2"), List.of("p3")), release("r1").plan());
        assertEquals(List.of("p1"), hostsRequested());
        cycle("r1", "p1", Stage.PROMOTION, V1);
        // maxUnavailable 1: the 2-host batch goes one host at a time.
        assertEquals(List.of("p2"), hostsRequested());
        cycle("r1", "p2", Stage.PROMOTION, V1);
        assertEquals(List.of("p3"), hostsRequested());
        cycle("r1", "p3", Stage.PROMOTION, V1);
        assertEquals(Phase.PROMOTED, release("r1").phase());
        assertEquals(1, emitted(ReleasePromoted.class).size());
    }

    @Test
    void aFullPromotionFromTheLiveCanaryIsOneBatchOfEveryProductionHost() {
        canaryLive("r1");
        send(new PromotionRequested("r1", "alice", "ship it", true));
        assertEquals(Phase.PROMOTING, release("r1").phase());
        assertEquals(List.of(List.of("p1", "p2", "p3")), release("r1").plan());
        // still maxUnavailable (1) hosts out of the pool at once
        assertEquals(List.of("p1"), hostsRequested());
        cycle("r1", "p1", Stage.PROMOTION, V1);
        assertEquals(List.of("p2"), hostsRequested());
        cycle("r1", "p2", Stage.PROMOTION, V1);
        cycle("r1", "p3", Stage.PROMOTION, V1);
        assertEquals(Phase.PROMOTED, release("r1").phase());
    }

    @Test
    void aFullPromotionDuringThePromotionMergesTheBatchesNotYetDone() {
        policy =
                new Policy(
                        List.of("c0"),
                        List.of("p1", "p2", "p3"),
                        List.of("1"),
                        2,
                        false,
                        Duration.ZERO);
        rollouts = new Rollouts(policy, Set.of(APP));
        canaryLive("r1");
        send(new PromotionRequested("r1", "alice", null));
        cycle("r1", "p1", Stage.PROMOTION, V1);
        assertEquals(List.of("p2"), hostsRequested());
        send(new PromotionRequested("r1", "bob", "hurry", true));
        assertEquals(List.of(List.of("p1"), List.of("p2", "p3")), release("r1").plan());
        // the next host starts at once, beside the one in flight (maxUnavailable 2)
        assertEquals(List.of("p3"), hostsRequested());
        assertTrue(emitted(ReleasePhaseChanged.class).isEmpty(), "still PROMOTING");
        cycle("r1", "p2", Stage.PROMOTION, V1);
        cycle("r1", "p3", Stage.PROMOTION, V1);
        assertEquals(Phase.PROMOTED, release("r1").phase());
    }

    // --- pause and resume ----------------------------------------------------------------------

    @Test
    void aPausedPromotionFinishesTheBatchInFlightAndHoldsTheNextUntilResume() {
        canaryLive("r1");
        send(new PromotionRequested("r1", "alice", null));
        assertEquals(List.of("p1"), hostsRequested());
        send(new PauseRequested("r1", "bob", "checking the graphs"));
        assertEquals(Phase.PAUSED, release("r1").phase());
        assertEquals(
                List.of(
                        new Command.Emit(
                                new ReleasePhaseChanged("r1", APP, Phase.PAUSED, Phase.PROMOTING))),
                last,
                "only the move is announced; p1 stays in flight");
        cycle("r1", "p1", Stage.PROMOTION, V1);
        assertEquals(HostStep.DONE, release("r1").host("p1").step(), "the batch in flight ends");
        assertTrue(hostsRequested().isEmpty(), "the next batch waits");
        assertEquals(HostStep.WAITING, release("r1").host("p2").step());
        assertEquals(Phase.PAUSED, release("r1").phase());

        send(new ResumeRequested("r1", "bob", null));
        assertEquals(Phase.PROMOTING, release("r1").phase());
        assertEquals(List.of("p2"), hostsRequested(), "the next batch starts on resume");
        cycle("r1", "p2", Stage.PROMOTION, V1);
        cycle("r1", "p3", Stage.PROMOTION, V1);
        assertEquals(Phase.PROMOTED, release("r1").phase());
    }

    @Test
    void aPausedBatchOfTwoHostsFinishesOneHostAfterTheOther() {
        policy =
                new Policy(
                        List.of("c0"),
                        List.of("p1", "p2", "p3"),
                        List.of("1", "100%"),
                        1,
                        false,
                        Duration.ZERO);
        rollouts = new Rollouts(policy, Set.of(APP));
        canaryLive("r1");
        send(new PromotionRequested("r1", "alice", null));
        cycle("r1", "p1", Stage.PROMOTION, V1);
        assertEquals(List.of(List.of("p1"), List.of("p2", "p3")), release("r1").plan());
        assertEquals(List.of("p2"), hostsRequested());
        send(new PauseRequested("r1", "bob", null));
        // the batch p2+p3 is in flight (maxUnavailable 1: one host at a time), so it finishes
        cycle("r1", "p2", Stage.PROMOTION, V1);
        assertEquals(List.of("p3"), hostsRequested());
        assertEquals(Phase.PAUSED, release("r1").phase());
        cycle("r1", "p3", Stage.PROMOTION, V1);
        assertEquals(Phase.PROMOTED, release("r1").phase(), "nothing is left to hold");
        assertNull(release("r1").pausedAt());
        assertEquals(1, emitted(ReleasePromoted.class).size());
    }

    @Test
    void aPauseInTheLastBatchLetsItFinishAndTheReleaseEndsPromoted() {
        canaryLive("r1");
        send(new PromotionRequested("r1", "alice", null));
        cycle("r1", "p1", Stage.PROMOTION, V1);
        cycle("r1", "p2", Stage.PROMOTION, V1);
        assertEquals(List.of("p3"), hostsRequested());
        send(new PauseRequested("r1", "bob", null));
        cycle("r1", "p3", Stage.PROMOTION, V1);
        assertEquals(Phase.PROMOTED, release("r1").phase(), "nothing is left to hold");
        assertNull(release("r1").pausedAt());
    }

    @Test
    void theTimePausedDoesNotCountAgainstThePromotionDeadline() {
        canaryLive("r1");
        send(new PromotionRequested("r1", "alice", null));
        Instant first = commands(Command.SchedulePromotionDeadline.class).get(0).at();
        assertEquals(first, release("r1").promotionDeadline());
        assertTrue(release("r1").promotionDeadlineDue(first));

        send(new PauseRequested("r1", "bob", null));
        Instant pausedAt = clock;
        assertTrue(commands(Command.SchedulePromotionDeadline.class).isEmpty());
        assertFalse(release("r1").promotionDeadlineDue(first), "no deadline aborts it paused");

        clock = clock.plus(Duration.ofHours(2)); // longer than the 30 minutes
        send(new ResumeRequested("r1", "bob", null));
        Instant moved = commands(Command.SchedulePromotionDeadline.class).get(0).at();
        assertEquals(first.plus(Duration.between(pausedAt, clock)), moved);
        assertEquals(moved, release("r1").promotionDeadline());
        assertFalse(release("r1").promotionDeadlineDue(first), "the old timer does nothing");
        assertTrue(release("r1").promotionDeadlineDue(moved));
    }

    @Test
    void aFailedHostInTheBatchInFlightFailsAPausedPromotionAndSendsTheHostsBack() {
        canaryLive("r1");
        send(new PromotionRequested("r1", "alice", null));
        send(new PauseRequested("r1", "bob", null));
        send(new HostDrained("r1", APP, "p1", Stage.PROMOTION, 0, 1, false));
        send(new HostUpdateFailed("r1", APP, "p1", Stage.PROMOTION, V2, V1, "unhealthy", ""));
        assertEquals(Phase.FAILED, release("r1").phase());
        assertNull(release("r1").pausedAt());
        assertEquals(1, emitted(ReleaseFailed.class).size());
        assertEquals(Stage.ROLLBACK, emitted(HostUpdated.class).get(0).stage(), "p1 goes back");
        assertEquals(HostStep.SKIPPED, release("r1").host("p2").step(), "no next batch");
        send(new HostEnabled("r1", APP, "p1", Stage.ROLLBACK));
        assertEquals(List.of("c0"), hostsRequested(), "then the canary goes back");
    }

    @Test
    void aPausedPromotionCanBeAbortedAndEveryTouchedHostGoesBack() {
        String id = reach(Phase.PAUSED);
        send(new AbortRequested(id, "bob", "wrong version"));
        assertEquals(Phase.ABORTED, release(id).phase());
        assertEquals("aborted by bob: wrong version", release(id).reason());
        assertEquals(List.of("c0"), hostsRequested(), "maxUnavailable 1: one host at a time");
        assertEquals(HostStep.REVERT_PENDING, release(id).host("p1").step());
        assertEquals(HostStep.SKIPPED, release(id).host("p2").step());
    }

    @Test
    void aNewImageDuringAPauseWaitsForThePromotionsEnd() {
        String id = reach(Phase.PAUSED);
        pushed("r2", V3);
        assertTrue(release("r2").queued());
        assertEquals(Phase.PAUSED, release(id).phase(), "a pause holds the app's slot");
        send(new ResumeRequested(id, "bob", null));
        cycle(id, "p2", Stage.PROMOTION, V1);
        cycle(id, "p3", Stage.PROMOTION, V1);
        assertEquals(Phase.PROMOTED, release(id).phase());
        assertEquals(Phase.CANARY_UPDATING, release("r2").phase());
    }

    // --- an operator's chosen image (retry, deploy a version) -----------------------------------

    @Test
    void aDeployRequestStartsANewReleaseOfTheChosenImageFromTheCanary() {
        send(new DeployRequested("r2", APP, "example-app", "v1", V1, "bob", "retry", "r1"));
        Release r = release("r2");
        assertEquals(Phase.CANARY_UPDATING, r.phase());
        assertEquals(V1, r.digest());
        assertEquals("v1", r.tag());
        assertEquals(List.of("c0"), hostsRequested(), "the canary first");
        assertEquals(V1, emitted(HostUpdateRequested.class).get(0).digest());
        // delivered again: the release already rolls out
        Rollouts.Outcome o =
                send(new DeployRequested("r2", APP, "example-app", "v1", V1, "bob", null, "r1"));
        assertTrue(o.rejections().get(0).contains(Reasons.ALREADY_ROLLING_OUT), o.toString());
        assertTrue(last.isEmpty());
    }

    @Test
    void aDeployRequestDuringAPromotionWaitsForItsEnd() {
        String id = reach(Phase.PROMOTING);
        send(new DeployRequested("r2", APP, "example-app", null, V3, "bob", null, null));
        assertEquals(Phase.BUILT, release("r2").phase());
        assertTrue(release("r2").queued());
        for (String h : List.of("p1", "p2", "p3")) cycle(id, h, Stage.PROMOTION, V1);
        assertEquals(Phase.PROMOTED, release(id).phase());
        assertEquals(Phase.CANARY_UPDATING, release("r2").phase());
    }

    @Test
    void aDeployRequestOfAnAppNotInTheFleetIsRefused() {
        Rollouts.Outcome o =
                send(new DeployRequested("r2", "other", "other", null, V1, "bob", null, null));
        assertTrue(o.rejections().get(0).contains(Reasons.UNKNOWN_APP), o.toString());
        assertTrue(rollouts.release("r2").isEmpty());
    }

    static final Set<Phase> PAUSABLE = EnumSet.of(Phase.PROMOTING);

    @ParameterizedTest
    @EnumSource(Phase.class)
    void pauseIsRefusedOutsideAPromotionWithTheState(Phase phase) {
        String id = reach(phase);
        Rollouts.Outcome o = send(new PauseRequested(id, "alice", null));
        if (PAUSABLE.contains(phase)) {
            assertEquals(Phase.PAUSED, release(id).phase());
        } else {
            assertEquals(phase, release(id).phase());
            String why = OperatorCommand.PAUSE.whyNot();
            assertTrue(o.rejections().get(0).contains(why), o.toString());
            PromotionRejected rej = emitted(PromotionRejected.class).get(0);
            assertEquals(phase.name(), rej.state());
            assertEquals(why, rej.reason());
        }
    }

    @ParameterizedTest
    @EnumSource(Phase.class)
    void resumeIsRefusedOutsideAPauseWithTheState(Phase phase) {
        String id2 = reach(phase);
        Rollouts.Outcome o = send(new ResumeRequested(id2, "alice", null));
        if (phase == Phase.PAUSED) {
            assertEquals(Phase.PROMOTING, release(id2).phase());
            assertEquals(List.of("p2"), hostsRequested(), "the next batch starts");
        } else {
            assertEquals(phase, release(id2).phase());
            String why = OperatorCommand.RESUME.whyNot();
            assertTrue(o.rejections().get(0).contains(why), o.toString());
            assertEquals(phase.name(), emitted(PromotionRejected.class).get(0).state());
        }
    }

    @Test
    void maxUnavailableTwoDrainsTwoHostsOfABatchAtOnce() {
        policy =
                new Policy(
                        List.of("c0"),
                        List.of("p1", "p2", "p3"),
                        List.of("100%"),
                        2,
                        false,
                        Duration.ZERO);
        rollouts = new Rollouts(policy, Set.of(APP));
        canaryLive("r1");
        send(new PromotionRequested("r1", "alice", null));
        assertEquals(List.of("p1", "p2"), hostsRequested());
        cycle("r1", "p1", Stage.PROMOTION, V1);
        assertEquals(List.of("p3"), hostsRequested());
    }

    @Test
    void stepsAreCountsOrPercentagesOfTheRemainingHosts() {
        Policy p =
                new Policy(
                        List.of(),
                        List.of("a", "b", "c", "d", "e"),
                        List.of("1", "50%", "100%"),
                        1,
                        false,
                        Duration.ZERO);
        assertEquals(List.of(List.of("a"), List.of("b", "c"), List.of("d", "e")), p.batches());
        Policy batchOf2 =
                new Policy(
                        List.of(), List.of("a", "b", "c"), List.of("2"), 1, false, Duration.ZERO);
        assertEquals(List.of(List.of("a", "b"), List.of("c")), batchOf2.batches());
    }

    @Test
    void autoPromoteSchedulesThePromotionAfterTheBakeTime() {
        policy =
                new Policy(
                        List.of("c0"),
                        List.of("p1"),
                        List.of("1"),
                        1,
                        true,
                        Duration.ofMinutes(10));
        rollouts = new Rollouts(policy, Set.of(APP));
        canaryLive("r1");
        Command.ScheduleAutoPromotion s = commands(Command.ScheduleAutoPromotion.class).get(0);
        assertEquals(release("r1").canaryLiveAt().plus(Duration.ofMinutes(10)), s.at());
        PromotionRequested auto = ReleaseMachine.autoPromotion(release("r1"), policy);
        send(auto);
        assertEquals(Phase.PROMOTING, release("r1").phase());
    }

    @Test
    void aPromotionThatOutlivesItsDeadlineIsAbortedAndEveryTouchedHostGoesBack() {
        policy =
                new Policy(
                        List.of("c0"),
                        List.of("p1", "p2"),
                        List.of("1"),
                        1,
                        false,
                        Duration.ZERO,
                        Duration.ofMinutes(20));
        rollouts = new Rollouts(policy, Set.of(APP));
        canaryLive("r1");
        send(new PromotionRequested("r1", "alice", null));
        Command.SchedulePromotionDeadline d =
                commands(Command.SchedulePromotionDeadline.class).get(0);
        assertEquals(clock.plus(Duration.ofMinutes(20)), d.at(), "20 minutes after the promote");
        cycle("r1", "p1", Stage.PROMOTION, V1);
        // p2 is asked for a drain that never comes (lb-service down, say)
        assertEquals(HostStep.DRAINING, release("r1").host("p2").step());

        AbortRequested abort = ReleaseMachine.promotionDeadline(release("r1"), policy);
        assertEquals("deploy-service", abort.operator());
        assertEquals("the promotion did not finish within 20m", abort.reason());
        send(abort);

        assertEquals(Phase.ABORTED, release("r1").phase());
        assertEquals(
                "aborted by deploy-service: the promotion did not finish within 20m",
                release("r1").reason());
        assertEquals(1, emitted(ReleaseAborted.class).size());
        // the canary and p1 go back to the previous image, p2 is re-enabled as it is
        assertEquals(HostStep.REVERT_DRAINING, release("r1").host("p2").step());
        assertEquals(Stage.ROLLBACK, release("r1").host("c0").stage());
        assertEquals(Stage.ROLLBACK, release("r1").host("p1").stage());
    }

    // --- lb-service does not answer ------------------------------------------------------------

    /** What the engine publishes when the deadline of {@code host}'s wait passes. */
    void answerOverdue(String id, String host) {
        send(ReleaseMachine.answerTimedOut(release(id), host, policy));
    }

    @Test
    void everyWaitForLbServiceGetsItsDeadline() {
        pushed("r1", V2);
        Command.ScheduleAnswerDeadline drain =
                commands(Command.ScheduleAnswerDeadline.class).get(0);
        assertEquals("c0", drain.host());
        assertEquals(HostStep.DRAINING, drain.awaiting());
        assertEquals(clock.plus(policy.drainAnswerDeadline()), drain.at());
        send(new HostDrained("r1", APP, "c0", Stage.CANARY, 0, 1, false));
        assertTrue(commands(Command.ScheduleAnswerDeadline.class).isEmpty(), "swapping: no wait");
        send(new HostUpdated("r1", APP, "c0", Stage.CANARY, V2, V1));
        Command.ScheduleAnswerDeadline enable =
                commands(Command.ScheduleAnswerDeadline.class).get(0);
        assertEquals(HostStep.ENABLING, enable.awaiting());
        assertEquals(clock.plus(policy.enableAnswerDeadline()), enable.at());
    }

    @Test
    void noDrainAnswerFailsTheReleaseAndAsksTheLbToPutTheUntouchedHostBack() {
        pushed("r1", V2);
        answerOverdue("r1", "c0");
        Release r = release("r1");
        assertEquals(Phase.FAILED, r.phase());
        assertEquals("no answer from lb-service: host.drained for c0 within 10m", r.reason());
        assertEquals(r.reason(), emitted(ReleaseFailed.class).get(0).reason());
        // nothing was swapped; host.update-failed is lb-service's cue to re-enable it
        assertTrue(commands(Command.Swap.class).isEmpty());
        HostUpdateFailed back = emitted(HostUpdateFailed.class).get(0);
        assertEquals("c0", back.host());
        assertEquals(Stage.ROLLBACK, back.stage());
        assertEquals(r.reason(), back.reason());
        assertEquals(HostStep.REVERT_ENABLING, r.host("c0").step());
        // when lb-service answers again
        send(new HostEnabled("r1", APP, "c0", Stage.ROLLBACK));
        assertEquals(HostStep.REVERTED, release("r1").host("c0").step());
        assertTrue(release("r1").settled());
    }

    @Test
    void aLateDrainAnswerAfterTheDeadlineSwapsNothing() {
        pushed("r1", V2);
        answerOverdue("r1", "c0");
        send(new HostDrained("r1", APP, "c0", Stage.CANARY, 0, 1, false));
        assertTrue(commands(Command.Swap.class).isEmpty());
        assertEquals(HostStep.REVERT_ENABLING, release("r1").host("c0").step());
    }

    @Test
    void aDeadlineAfterTheAnswerCameChangesNothing() {
        pushed("r1", V2);
        HostAnswerTimedOut stale = ReleaseMachine.answerTimedOut(release("r1"), "c0", policy);
        send(new HostDrained("r1", APP, "c0", Stage.CANARY, 0, 1, false));
        Rollouts.Outcome o = send(stale);
        assertEquals(List.of("r1: " + Reasons.ANSWER_ALREADY_CAME), o.rejections());
        assertEquals(HostStep.SWAPPING, release("r1").host("c0").step());
        assertEquals(Phase.CANARY_UPDATING, release("r1").phase());
    }

    @Test
    void noEnableAnswerRestoresThePreviousContainerAndFails() {
        pushed("r1", V2);
        send(new HostDrained("r1", APP, "c0", Stage.CANARY, 0, 1, false));
        send(new HostUpdated("r1", APP, "c0", Stage.CANARY, V2, V1));
        answerOverdue("r1", "c0");
        assertEquals(Phase.FAILED, release("r1").phase());
        assertTrue(release("r1").reason().startsWith(Reasons.NO_LB_ANSWER + "host.enabled"));
        assertEquals(
                List.of(new Command.Restore("r1", APP, "c0", V1, V2)),
                commands(Command.Restore.class));
    }

    @Test
    void noAnswerDuringARevertMarksTheRevertFailedAndStillAsksForThePool() {
        String id = reach(Phase.ROLLING_BACK);
        String host =
                release(id).hosts().values().stream()
                        .filter(h -> h.step() == HostStep.REVERT_DRAINING)
                        .findFirst()
                        .orElseThrow()
                        .host();
        answerOverdue(id, host);
        // it still serves the new image: the revert failed on it, lb-service may re-enable it
        assertEquals(HostStep.REVERT_FAILED, release(id).host(host).step());
        assertEquals(host, emitted(HostUpdateFailed.class).get(0).host());
    }

    @Test
    void noAnswerToTheWayBackAsksTheLbOnceMoreInAFreshRequest() {
        pushed("r1", V2);
        answerOverdue("r1", "c0");
        assertEquals(HostStep.REVERT_ENABLING, release("r1").host("c0").step());
        // the put-back's record is gone (retention, or lost): its answer never comes
        answerOverdue("r1", "c0");
        assertEquals(HostStep.REVERT_FAILED, release("r1").host("c0").step());
        HostUpdateFailed again = emitted(HostUpdateFailed.class).get(0);
        assertEquals("c0", again.host());
        assertEquals(Stage.ROLLBACK, again.stage());
        assertTrue(commands(Command.ScheduleAnswerDeadline.class).isEmpty(), "no wait on it");
        assertTrue(release("r1").settled());
        // a late answer changes nothing
        send(new HostEnabled("r1", APP, "c0", Stage.ROLLBACK));
        assertEquals(HostStep.REVERT_FAILED, release("r1").host("c0").step());
    }

    @Test
    void noPromotionDeadlineOutsideThePromotion() {
        canaryLive("r1");
        assertTrue(commands(Command.SchedulePromotionDeadline.class).isEmpty());
    }

    @Test
    void updateFailedOnTheCanaryFailsTheReleaseAndLetsTheLbReEnableTheHost() {
        pushed("r1", V2);
        send(new HostDrained("r1", APP, "c0", Stage.CANARY, 0, 1, false));
        send(
                new HostUpdateFailed(
                        "r1", APP, "c0", Stage.CANARY, V2, V1, "not healthy within 5s", "404"));
        assertEquals(Phase.FAILED, release("r1").phase());
        assertTrue(release("r1").reason().contains("not healthy"));
        assertEquals(1, emitted(ReleaseFailed.class).size());
        HostUpdated back = emitted(HostUpdated.class).get(0);
        assertEquals(Stage.ROLLBACK, back.stage());
        assertEquals(V1, back.digest());
        assertEquals(HostStep.REVERT_ENABLING, release("r1").host("c0").step());
        send(new HostEnabled("r1", APP, "c0", Stage.ROLLBACK));
        assertEquals(HostStep.REVERTED, release("r1").host("c0").step());
        assertTrue(release("r1").settled());
    }

    @Test
    void updateFailedDuringPromotionSendsEveryTouchedHostBack() {
        canaryLive("r1");
        send(new PromotionRequested("r1", "alice", null));
        cycle("r1", "p1", Stage.PROMOTION, V1);
        send(new HostDrained("r1", APP, "p2", Stage.PROMOTION, 0, 1, false));
        send(new HostUpdateFailed("r1", APP, "p2", Stage.PROMOTION, V2, V1, "boom", ""));
        assertEquals(Phase.FAILED, release("r1").phase());
        assertEquals(HostStep.SKIPPED, release("r1").host("p3").step());
        // p2 is out of the pool until it is re-enabled: maxUnavailable 1 holds the reverts.
        assertTrue(emitted(HostUpdateRequested.class).isEmpty());
        send(new HostEnabled("r1", APP, "p2", Stage.ROLLBACK));
        assertEquals(List.of("c0"), hostsRequested());
        assertEquals(Stage.ROLLBACK, emitted(HostUpdateRequested.class).get(0).stage());
        assertEquals(V1, emitted(HostUpdateRequested.class).get(0).digest());
        revertCycle("r1", "c0");
        // p1 is requested when c0 is back in the pool
        assertEquals(List.of("p1"), hostsRequested());
        revertCycle("r1", "p1");
        assertTrue(release("r1").settled());
        assertEquals(Phase.FAILED, release("r1").phase());
    }

    @Test
    void drainFailedFailsTheReleaseWithoutTouchingTheHost() {
        pushed("r1", V2);
        send(new HostDrainFailed("r1", APP, "c0", Stage.CANARY, "would leave 0 servers"));
        assertEquals(Phase.FAILED, release("r1").phase());
        assertEquals(HostStep.SKIPPED, release("r1").host("c0").step());
        assertTrue(release("r1").settled());
        assertEquals(1, emitted(ReleaseFailed.class).size());
    }

    @Test
    void enableFailedRestoresThePreviousContainerAndFails() {
        pushed("r1", V2);
        send(new HostDrained("r1", APP, "c0", Stage.CANARY, 0, 1, false));
        send(new HostUpdated("r1", APP, "c0", Stage.CANARY, V2, V1));
        send(new HostEnableFailed("r1", APP, "c0", Stage.CANARY, "DOWN after 30s"));
        assertEquals(Phase.FAILED, release("r1").phase());
        assertEquals(
                List.of(new Command.Restore("r1", APP, "c0", V1, V2)),
                commands(Command.Restore.class));
        send(new HostUpdated("r1", APP, "c0", Stage.ROLLBACK, V1, V2));
        send(new HostEnabled("r1", APP, "c0", Stage.ROLLBACK));
        assertEquals(HostStep.REVERTED, release("r1").host("c0").step());
    }

    @Test
    void abortFromCanaryLiveSendsTheCanaryBackByRestartingTheRetainedContainer() {
        canaryLive("r1");
        send(new AbortRequested("r1", "alice", "bad numbers"));
        assertEquals(Phase.ABORTED, release("r1").phase());
        assertEquals(1, emitted(ReleaseAborted.class).size());
        assertEquals(List.of("c0"), hostsRequested());
        send(new HostDrained("r1", APP, "c0", Stage.ROLLBACK, 0, 1, false));
        assertEquals(
                List.of(new Command.Restore("r1", APP, "c0", V1, V2)),
                commands(Command.Restore.class));
        send(new HostUpdated("r1", APP, "c0", Stage.ROLLBACK, V1, V2));
        send(new HostEnabled("r1", APP, "c0", Stage.ROLLBACK));
        assertEquals(HostStep.REVERTED, release("r1").host("c0").step());
        assertTrue(release("r1").settled());
    }

    @Test
    void abortWhileAHostDrainsReEnablesItAsItIs() {
        canaryLive("r1");
        send(new PromotionRequested("r1", "alice", null));
        send(new AbortRequested("r1", "alice", null));
        assertEquals(HostStep.REVERT_DRAINING, release("r1").host("p1").step());
        send(new HostDrained("r1", APP, "p1", Stage.PROMOTION, 0, 1, false));
        assertEquals(
                List.of(new Command.Restore("r1", APP, "p1", null, V2)),
                commands(Command.Restore.class));
    }

    @Test
    void abortBeforeTheRolloutEndsItWithoutTouchingHosts() {
        send(build("r1"));
        send(new AbortRequested("r1", "alice", null));
        assertEquals(Phase.ABORTED, release("r1").phase());
        assertTrue(release("r1").hosts().isEmpty());
    }

    @Test
    void rollbackAfterPromotedRestoresEveryHostInBatchesAndEndsRolledBack() {
        promoted("r1");
        send(new RollbackRequested("r1", "alice", "regression"));
        assertEquals(Phase.ROLLING_BACK, release("r1").phase());
        assertEquals(List.of("c0"), hostsRequested());
        for (String h : List.of("c0", "p1", "p2")) {
            revertCycle("r1", h);
            assertEquals(Phase.ROLLING_BACK, release("r1").phase());
        }
        revertCycle("r1", "p3");
        assertEquals(Phase.ROLLED_BACK, release("r1").phase());
        assertEquals(1, emitted(ReleaseRolledBack.class).size());
    }

    @Test
    void rollbackRestoresTheRetainedContainersMaxUnavailableAtATimeWithNoBakeOrAnalysis() {
        policy =
                new Policy(
                        List.of("c0"),
                        List.of("p1", "p2", "p3"),
                        List.of("1", "50%", "100%"),
                        2,
                        true,
                        Duration.ofMinutes(10));
        rollouts = new Rollouts(policy, Set.of(APP));
        promoted("r1");
        send(new RollbackRequested("r1", "alice", "regression"));
        // every promoted host goes back, in no batches: maxUnavailable (2) at a time
        assertEquals(List.of("c0", "p1"), hostsRequested());
        assertTrue(
                emitted(HostUpdateRequested.class).stream()
                        .allMatch(r -> r.stage() == Stage.ROLLBACK && V1.equals(r.digest())));
        // a drained host restarts its retained previous container: no pull, no fresh container
        send(new HostDrained("r1", APP, "c0", Stage.ROLLBACK, 0, 1, false));
        assertEquals(
                List.of(new Command.Restore("r1", APP, "c0", V1, V2)),
                commands(Command.Restore.class));
        assertTrue(commands(Command.Swap.class).isEmpty());
        send(new HostUpdated("r1", APP, "c0", Stage.ROLLBACK, V1, V2));
        send(new HostEnabled("r1", APP, "c0", Stage.ROLLBACK));
        // the next host starts as soon as one is back: never a third out of the pool
        assertEquals(List.of("p2"), hostsRequested());
        for (String h : List.of("p1", "p2")) revertCycle("r1", h);
        assertEquals(List.of(), commands(Command.ScheduleAutoPromotion.class));
        revertCycle("r1", "p3");
        // no bake time and no analysis: rolled back when the last host is back
        assertEquals(Phase.ROLLED_BACK, release("r1").phase());
        assertTrue(commands(Command.ScheduleAutoPromotion.class).isEmpty());
    }

    @Test
    void aNewImageDuringTheCanarySupersedesIt() {
        canaryLive("r1");
        pushed("r2", V3);
        assertEquals(Phase.SUPERSEDED, release("r1").phase());
        ReleaseSuperseded s = emitted(ReleaseSuperseded.class).get(0);
        assertEquals("r2", s.supersededBy());
        assertEquals(Phase.CANARY_UPDATING, release("r2").phase());
        assertEquals(List.of("c0"), hostsRequested());
    }

    @Test
    void aNewImageWhileTheCanaryHostIsInFlightStartsWhenItSettles() {
        pushed("r1", V2);
        pushed("r2", V3);
        assertEquals(Phase.SUPERSEDED, release("r1").phase());
        assertEquals(Phase.BUILT, release("r2").phase());
        assertTrue(release("r2").queued());
        cycle("r1", "c0", Stage.CANARY, V1);
        assertEquals(Phase.CANARY_UPDATING, release("r2").phase());
        assertEquals(List.of("c0"), hostsRequested());
    }

    @Test
    void aNewImageDuringThePromotionWaitsForItsEnd() {
        canaryLive("r1");
        send(new PromotionRequested("r1", "alice", null));
        pushed("r2", V3);
        assertEquals(Phase.BUILT, release("r2").phase());
        assertTrue(release("r2").queued());
        assertEquals(Phase.PROMOTING, release("r1").phase());
        for (String h : List.of("p1", "p2", "p3")) cycle("r1", h, Stage.PROMOTION, V1);
        assertEquals(Phase.PROMOTED, release("r1").phase());
        assertEquals(Phase.CANARY_UPDATING, release("r2").phase());
        assertFalse(release("r2").queued());
    }

    @Test
    void aNewerQueuedImageSupersedesAnOlderQueuedOne() {
        canaryLive("r1");
        send(new PromotionRequested("r1", "alice", null));
        pushed("r2", V3);
        pushed("r3", V2);
        assertEquals(Phase.SUPERSEDED, release("r2").phase());
        assertTrue(release("r3").queued());
    }

    // --- rejections ----------------------------------------------------------------------------

    static final Set<Phase> PROMOTABLE = EnumSet.of(Phase.CANARY_LIVE);
    static final Set<Phase> ABORTABLE =
            EnumSet.of(
                    Phase.PENDING,
                    Phase.BUILDING,
                    Phase.BUILT,
                    Phase.CANARY_UPDATING,
                    Phase.CANARY_LIVE,
                    Phase.PROMOTING,
                    Phase.PAUSED);
    static final Set<Phase> ROLLBACKABLE = EnumSet.of(Phase.PROMOTED);

    @ParameterizedTest
    @EnumSource(Phase.class)
    void promotionIsRefusedOutsideCanaryLiveWithTheState(Phase phase) {
        String id = reach(phase);
        Rollouts.Outcome o = send(new PromotionRequested(id, "alice", null));
        if (PROMOTABLE.contains(phase)) {
            assertEquals(Phase.PROMOTING, release(id).phase());
        } else {
            assertEquals(phase, release(id).phase());
            assertTrue(o.rejections().get(0).contains(Reasons.NOT_CANARY_LIVE));
            PromotionRejected rej = emitted(PromotionRejected.class).get(0);
            assertEquals(phase.name(), rej.state());
            assertEquals(Reasons.NOT_CANARY_LIVE, rej.reason());
        }
    }

    static final Set<Phase> FULLY_PROMOTABLE = EnumSet.of(Phase.CANARY_LIVE, Phase.PROMOTING);

    @ParameterizedTest
    @EnumSource(Phase.class)
    void aFullPromotionIsRefusedOutsideCanaryLiveAndPromotingWithTheState(Phase phase) {
        String id = reach(phase);
        Rollouts.Outcome o = send(new PromotionRequested(id, "alice", null, true));
        if (FULLY_PROMOTABLE.contains(phase)) {
            assertEquals(Phase.PROMOTING, release(id).phase());
            assertEquals(1, release(id).plan().size() - release(id).batch());
        } else {
            assertEquals(phase, release(id).phase());
            String why = OperatorCommand.FULL_PROMOTE.whyNot();
            assertTrue(o.rejections().get(0).contains(why), o.toString());
            PromotionRejected rej = emitted(PromotionRejected.class).get(0);
            assertEquals(phase.name(), rej.state());
            assertEquals(why, rej.reason());
        }
    }

    @ParameterizedTest
    @EnumSource(Phase.class)
    void abortIsRefusedAfterThePromotionOrTheEnd(Phase phase) {
        String id = reach(phase);
        Rollouts.Outcome o = send(new AbortRequested(id, "alice", null));
        if (ABORTABLE.contains(phase)) {
            assertEquals(Phase.ABORTED, release(id).phase());
        } else {
            assertEquals(phase, release(id).phase());
            assertTrue(o.rejections().get(0).contains(Reasons.NOT_ABORTABLE));
            assertEquals(phase.name(), emitted(PromotionRejected.class).get(0).state());
        }
    }

    @ParameterizedTest
    @EnumSource(Phase.class)
    void rollbackIsRefusedUnlessPromoted(Phase phase) {
        String id = reach(phase);
        Rollouts.Outcome o = send(new RollbackRequested(id, "alice", null));
        if (ROLLBACKABLE.contains(phase)) {
            assertEquals(Phase.ROLLING_BACK, release(id).phase());
        } else {
            assertEquals(phase, release(id).phase());
            assertTrue(o.rejections().get(0).contains(Reasons.NOT_PROMOTED));
        }
    }

    @ParameterizedTest
    @EnumSource(Phase.class)
    void buildEventsAreRefusedOnceTheRolloutStarted(Phase phase) {
        String id = reach(phase);
        Rollouts.Outcome o = send(new BuildStarted(id, APP, "abc", null));
        if (phase == Phase.PENDING) {
            assertEquals(Phase.BUILDING, release(id).phase());
        } else {
            assertEquals(phase, release(id).phase());
            assertTrue(o.rejections().get(0).contains(Reasons.NOT_PENDING), o.toString());
        }
        Rollouts.Outcome dup = send(build(id));
        assertTrue(dup.rejections().get(0).contains(Reasons.DUPLICATE_RELEASE));
    }

    @ParameterizedTest
    @EnumSource(Phase.class)
    void aSecondImageForTheSameReleaseIsRefusedOnceItRollsOut(Phase phase) {
        String id = reach(phase);
        Rollouts.Outcome o = send(new ImagePushed(id, APP, "example-app", "t", V3));
        if (phase.beforeRollout()) {
            assertEquals(Phase.CANARY_UPDATING, release(id).phase());
        } else {
            assertEquals(phase, release(id).phase());
            assertTrue(o.rejections().get(0).contains(Reasons.ALREADY_ROLLING_OUT));
        }
    }

    @ParameterizedTest
    @EnumSource(Phase.class)
    void hostEventsOutOfStepAreRefusedWithTheReason(Phase phase) {
        String id = reach(phase);
        Release before = release(id);
        // p3 is waiting, settled or not part of the release in every fixture.
        assertRefused(id, new HostDrained(id, APP, "p3", Stage.PROMOTION, 0, 1, false), before);
        assertRefused(id, new HostUpdated(id, APP, "p3", Stage.PROMOTION, V2, V1), before);
        assertRefused(id, new HostEnabled(id, APP, "p3", Stage.PROMOTION), before);
        assertRefused(
                id, new HostUpdateFailed(id, APP, "p3", Stage.PROMOTION, V2, V1, "x", ""), before);
        assertRefused(id, new HostDrainFailed(id, APP, "p3", Stage.PROMOTION, "x"), before);
        assertRefused(id, new HostEnableFailed(id, APP, "p3", Stage.PROMOTION, "x"), before);
        assertRefused(id, new HostDrained(id, APP, "nowhere", Stage.CANARY, 0, 1, false), before);
    }

    void assertRefused(String id, CanaryEvent e, Release before) {
        Rollouts.Outcome o = send(e);
        assertEquals(1, o.rejections().size(), e + " in " + before.phase());
        assertTrue(o.commands().isEmpty());
        assertEquals(before.phase(), release(id).phase());
        assertEquals(before.hosts(), release(id).hosts());
    }

    @Test
    void hostEventsForTheWrongStepNameTheStep() {
        pushed("r1", V2);
        assertTrue(
                send(new HostUpdated("r1", APP, "c0", Stage.CANARY, V2, V1))
                        .rejections()
                        .get(0)
                        .contains(Reasons.HOST_NOT_SWAPPING));
        assertTrue(
                send(new HostEnabled("r1", APP, "c0", Stage.CANARY))
                        .rejections()
                        .get(0)
                        .contains(Reasons.HOST_NOT_ENABLING));
        send(new HostDrained("r1", APP, "c0", Stage.CANARY, 0, 1, false));
        assertTrue(
                send(new HostDrained("r1", APP, "c0", Stage.CANARY, 0, 1, false))
                        .rejections()
                        .get(0)
                        .contains(Reasons.HOST_NOT_DRAINING));
    }

    @Test
    void eventsOfUnknownReleasesOrAppsAreRefused() {
        assertTrue(
                send(new PromotionRequested("nope", "alice", null))
                        .rejections()
                        .get(0)
                        .contains(Reasons.UNKNOWN_RELEASE));
        assertTrue(
                send(new ImagePushed("x", "other-app", "other", "t", V2))
                        .rejections()
                        .get(0)
                        .contains(Reasons.UNKNOWN_APP));
        assertTrue(rollouts.release("x").isEmpty());
    }

    List<String> hostsRequested() {
        return emitted(HostUpdateRequested.class).stream().map(HostUpdateRequested::host).toList();
    }

    @Test
    void replayingTheSameEventsGivesTheSameState() {
        List<CanaryEvent> history = new ArrayList<>();
        history.add(new ImagePushed("r1", APP, "example-app", "t", V2));
        history.add(new HostDrained("r1", APP, "c0", Stage.CANARY, 0, 1, false));
        history.add(new HostUpdated("r1", APP, "c0", Stage.CANARY, V2, V1));
        history.add(new HostEnabled("r1", APP, "c0", Stage.CANARY));
        history.add(new PromotionRequested("r1", "alice", null));
        for (CanaryEvent e : history) send(e);
        Release first = release("r1");
        rollouts = new Rollouts(policy, Set.of(APP));
        for (CanaryEvent e : history) send(e);
        assertEquals(first.phase(), release("r1").phase());
        assertEquals(first.hosts(), release("r1").hosts());
        assertNull(release("r1").supersededBy());
    }

    /** One event of a history as a service wrote it: its id, its cause, its writer's clock. */
    EventEnvelope<CanaryEvent> written(String id, String cause, long atMs, CanaryEvent data) {
        return new EventEnvelope<>(
                id,
                dev.canaryrelease.events.EventType.of(data),
                "/test",
                data.releaseId(),
                clock.plusMillis(atMs),
                cause,
                data);
    }

    @Test
    void aHistoryWrittenWithClocksSkewedByFiveSecondsRebuildsTheSameState() {
        // registry's clock true, lb's 5 s behind, deploy's and the gateway's 5 s ahead
        var ip = written("ip", null, 0, new ImagePushed("r1", APP, "example-app", "t", V2));
        var hur =
                written(
                        "hur",
                        "ip",
                        5_100,
                        new HostUpdateRequested("r1", APP, "c0", Stage.CANARY, V2));
        var hd =
                written(
                        "hd",
                        "hur",
                        -4_800,
                        new HostDrained("r1", APP, "c0", Stage.CANARY, 0, 1, false));
        var hu = written("hu", "hd", 6_000, new HostUpdated("r1", APP, "c0", Stage.CANARY, V2, V1));
        var he = written("he", "hu", -3_900, new HostEnabled("r1", APP, "c0", Stage.CANARY));
        var pr = written("pr", "he", 7_000, new PromotionRequested("r1", "alice", null));
        List<EventEnvelope<CanaryEvent>> live = List.of(ip, hur, hd, hu, he, pr);
        for (var e : live) rollouts.handle(e);
        Release first = release("r1");
        assertEquals(Phase.PROMOTING, first.phase());

        // each topic in offset order: registry.events, lb.events, deploy.events, gateway.events
        List<List<EventEnvelope<CanaryEvent>>> topics =
                List.of(List.of(ip), List.of(hd, he), List.of(hur, hu), List.of(pr));
        List<EventEnvelope<CanaryEvent>> replay =
                dev.canaryrelease.events.ReplayOrder.merge(topics);
        assertEquals(live, replay);
        rollouts = new Rollouts(policy, Set.of(APP));
        for (var e : replay) rollouts.handle(e);
        assertEquals(first.phase(), release("r1").phase());
        assertEquals(first.hosts(), release("r1").hosts());

        // sorted by time instead, the drain comes before the image and the release never starts
        List<EventEnvelope<CanaryEvent>> byTime = new ArrayList<>(live);
        byTime.sort(java.util.Comparator.comparing(EventEnvelope::time));
        rollouts = new Rollouts(policy, Set.of(APP));
        for (var e : byTime) rollouts.handle(e);
        assertNotEquals(first.hosts(), release("r1").hosts());
    }

    // --- canary analysis (issue 17) -------------------------------------------------------------

    static final dev.canaryrelease.fleet.Fleet.Analysis ANALYSIS =
            new dev.canaryrelease.fleet.Fleet.Analysis(
                    Duration.ofSeconds(2),
                    20,
                    0.01,
                    dev.canaryrelease.fleet.Fleet.LatencyIncrease.millis(100),
                    2);

    /**
     * One window of 100 requests a server: {@code bad} is the host that misbehaves as {@code kind}
     * says (good, errors: 10 retried 500s, slow: 300 ms more, quiet: 5 requests each, down: DOWN,
     * problem: an instance not read); every other server is a healthy one; a host being drained is
     * in MAINT.
     */
    dev.canaryrelease.events.model.AnalysisWindow window(
            String id, int index, String kind, String bad) {
        List<dev.canaryrelease.events.analysis.ServerWindow> servers = new ArrayList<>();
        for (String h : List.of("c0", "p1", "p2", "p3")) {
            HostProgress hp = release(id).host(h);
            boolean draining = hp != null && hp.step().inFlight();
            boolean isBad = h.equals(bad);
            long requests = kind.equals("quiet") ? 5 : draining ? 0 : 100;
            long retries = isBad && kind.equals("errors") ? 10 : 0;
            long ms = isBad && kind.equals("slow") ? 305 : 5;
            String status = draining ? "MAINT" : isBad && kind.equals("down") ? "DOWN" : "UP";
            servers.add(
                    new dev.canaryrelease.events.analysis.ServerWindow(
                            h,
                            h,
                            h.equals("c0"),
                            status,
                            requests,
                            0,
                            0,
                            0,
                            requests == 0
                                    ? null
                                    : dev.canaryrelease.events.analysis.LatencyHistogram.of(
                                            java.util.Map.of(ms, requests)),
                            retries));
        }
        return new dev.canaryrelease.events.model.AnalysisWindow(
                id,
                APP,
                index,
                clock,
                clock.plusSeconds(2),
                servers,
                kind.equals("problem") ? List.of("lb: show stat failed: timed out") : List.of());
    }

    /**
     * Each row: where the release is (CANARY_LIVE, or PROMOTING with p1 on the new image), whether
     * the fleet says {@code autoPromote: analysis}, the windows sent (kind and the bad host), and
     * what the last one gives: the verdict's outcome and failures, the phase, a piece of the
     * verdict's reason and of the release's reason.
     */
    @ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.CsvSource(
            delimiter = '|',
            value = {
                "one failed window counts, no abort yet|CANARY_LIVE|false|errors|c0|1|FAIL|1|CANARY_LIVE|"
                        + "the canary failed 10 of 100 requests (10.00%: 0 5xx, 0 connection errors,"
                        + " 0 response errors, 10 retried on another server), above maxErrorRate 1%;"
                        + " the baseline 0.00%; failed window 1 of failureLimit 2|",
                "failureLimit failed windows abort with the numbers|CANARY_LIVE|false|errors|c0|2|FAIL|2|ABORTED|"
                        + "failed window 2 of failureLimit 2: the release aborts|"
                        + "aborted by the canary analysis failed window 2: the canary failed 10 of 100",
                "a slower canary aborts the same way|CANARY_LIVE|true|slow|c0|2|FAIL|2|ABORTED|"
                        + "the canary is slower: median 305 ms against 5 ms|"
                        + "aborted by the canary analysis failed window 2: the canary is slower",
                "a canary HAProxy marks DOWN aborts|CANARY_LIVE|false|down|c0|2|FAIL|2|ABORTED|"
                        + "HAProxy marks canary c0 DOWN|aborted by the canary analysis",
                "a pass promotes on autoPromote: analysis|CANARY_LIVE|true|good|c0|1|PASS|0|PROMOTING|"
                        + "the canary failed 0.00% of 100 requests|"
                        + "autoPromote: analysis, window 1: the canary failed 0.00%",
                "a pass without autoPromote: analysis waits|CANARY_LIVE|false|good|c0|1|PASS|0|CANARY_LIVE|"
                        + "Mann-Whitney p = |",
                "too little traffic is inconclusive and waits for an operator|CANARY_LIVE|true|quiet|c0|3|INCONCLUSIVE|0|CANARY_LIVE|"
                        + "too little traffic: the canary served 5 and the baseline 15 requests,"
                        + " minRequests is 20; not promoted: waiting for an operator|"
                        + "waiting for an operator: analysis window 3 inconclusive: too little traffic",
                "numbers not read are inconclusive, never a pass|CANARY_LIVE|true|problem|c0|1|INCONCLUSIVE|0|CANARY_LIVE|"
                        + "HAProxy's numbers could not be read: lb: show stat failed: timed out|"
                        + "waiting for an operator",
                "the promotion's watch: a promoted host's errors abort|PROMOTING|false|errors|p1|2|FAIL|2|ABORTED|"
                        + "p1 on the new image failed 10 of 100 requests (10.00%), above maxErrorRate 1%|"
                        + "aborted by the promotion watch failed window 2",
                "the promotion's watch: a promoted host DOWN aborts|PROMOTING|false|down|p1|2|FAIL|2|ABORTED|"
                        + "HAProxy marks p1 DOWN while it serves the new image|aborted by the promotion watch",
                "the promotion's watch: the old hosts' errors are not the release's|PROMOTING|false|errors|p3|2|PASS|0|PROMOTING|"
                        + "the 2 hosts on the new image are up and failed 0 of 200 requests|",
                "the promotion's watch: a canary's failures before the promotion do not count|PROMOTING|false|good|p1|1|PASS|0|PROMOTING|"
                        + "hosts on the new image are up|",
            })
    void analysisVerdicts(
            String what,
            Phase at,
            boolean promoteOnAnalysis,
            String kind,
            String bad,
            int windows,
            dev.canaryrelease.events.analysis.Verdict.Outcome outcome,
            int failures,
            Phase phase,
            String verdictReason,
            String releaseReason) {
        policy = policy.withAnalysis(java.util.Map.of(APP, ANALYSIS), promoteOnAnalysis);
        rollouts = new Rollouts(policy, Set.of(APP));
        String id = canaryLive("r-" + UUID.randomUUID());
        if (at == Phase.PROMOTING) {
            send(window(id, 1, "errors", "c0")); // one failed window of the canary
            send(new PromotionRequested(id, "alice", null));
            cycle(id, "p1", Stage.PROMOTION, V1);
        }
        List<dev.canaryrelease.events.model.AnalysisVerdict> verdicts = List.of();
        for (int i = 1; i <= windows; i++) {
            send(window(id, i, kind, bad));
            verdicts = emitted(dev.canaryrelease.events.model.AnalysisVerdict.class);
            assertEquals(1, verdicts.size(), what + ": one verdict per window");
        }
        var v = verdicts.get(0);
        assertEquals(outcome, v.outcome(), v.reason());
        assertEquals(windows, v.window());
        assertEquals(failures, v.failures(), v.reason());
        assertEquals(2, v.failureLimit());
        assertTrue(v.reason().contains(verdictReason), v.reason());
        Release r = release(id);
        assertEquals(phase, r.phase(), v.reason());
        if (releaseReason != null && !releaseReason.isEmpty()) {
            assertTrue(r.reason() != null && r.reason().contains(releaseReason), r.reason());
        }
        if (phase == Phase.ABORTED) {
            assertEquals(1, emitted(ReleaseAborted.class).size());
            // every host on the new image goes back to the previous one
            for (String h : at == Phase.PROMOTING ? List.of("c0", "p1") : List.of("c0")) {
                HostProgress hp = r.host(h);
                assertTrue(
                        hp.step() == HostStep.REVERT_PENDING
                                || hp.step() == HostStep.REVERT_DRAINING,
                        h + " " + hp);
            }
        }
        if (phase == Phase.PROMOTING && at == Phase.CANARY_LIVE) {
            assertEquals("p1", emitted(HostUpdateRequested.class).get(0).host());
        }
    }

    @Test
    void anAbortByTheAnalysisPutsEveryHostBackOnThePreviousImage() {
        policy = policy.withAnalysis(java.util.Map.of(APP, ANALYSIS), false);
        rollouts = new Rollouts(policy, Set.of(APP));
        String id = canaryLive("r-back");
        send(new PromotionRequested(id, "alice", null));
        cycle(id, "p1", Stage.PROMOTION, V1);
        send(window(id, 1, "down", "p1"));
        send(window(id, 2, "down", "p1"));
        assertEquals(Phase.ABORTED, release(id).phase());
        // p2 was being drained for the new image: it goes back as it is, then c0 and p1
        for (String h : List.of("p2", "c0", "p1")) revertCycle(id, h);
        assertEquals(HostStep.REVERTED, release(id).host("c0").step());
        assertEquals(HostStep.REVERTED, release(id).host("p1").step());
        assertEquals(HostStep.SKIPPED, release(id).host("p3").step());
        // a window after the end is not judged
        var late = send(window(id, 3, "good", "c0"));
        assertTrue(late.rejections().get(0).contains(Reasons.NOT_WATCHED), late.toString());
        assertTrue(emitted(dev.canaryrelease.events.model.AnalysisVerdict.class).isEmpty());
    }

    @Test
    void anAppWithoutAnalysisIgnoresWindows() {
        String id = canaryLive("r-plain");
        var o = send(window(id, 1, "errors", "c0"));
        assertTrue(o.rejections().get(0).contains(Reasons.NOT_ANALYSED), o.toString());
        assertEquals(Phase.CANARY_LIVE, release(id).phase());
    }

    // --- weighted canaries (issue 17, point 1) --------------------------------------------------

    static final dev.canaryrelease.fleet.Fleet.Analysis WEIGHTED =
            new dev.canaryrelease.fleet.Fleet.Analysis(
                    Duration.ofSeconds(2),
                    20,
                    0.01,
                    dev.canaryrelease.fleet.Fleet.LatencyIncrease.millis(100),
                    2,
                    List.of(0.05, 0.25));

    @Test
    void aWeightedCanaryAsksForItsFirstShareBeforeItsFirstDrain() {
        policy = policy.withAnalysis(java.util.Map.of(APP, WEIGHTED), true);
        rollouts = new Rollouts(policy, Set.of(APP));
        pushed("r-w", V2);
        List<Object> order = new ArrayList<>();
        for (Command c : last) {
            if (c instanceof Command.Emit em) order.add(em.data().getClass().getSimpleName());
        }
        assertEquals(
                List.of("CanaryWeightRequested", "HostUpdateRequested", "ReleasePhaseChanged"),
                order);
        var w = emitted(dev.canaryrelease.events.model.CanaryWeightRequested.class).get(0);
        assertEquals(
                new dev.canaryrelease.events.model.CanaryWeightRequested(
                        "r-w", APP, List.of("c0"), 1, 2, 0.05),
                w);
        assertEquals(1, release("r-w").weightStep());
    }

    /**
     * Each row: whether the fleet says {@code autoPromote: analysis}, the windows sent one after
     * the other (good, errors, quiet), and what the last one gives: the weighted step it was judged
     * at, its outcome, the step asked of lb-service by it (0: none), the release's phase and step,
     * and a piece of the verdict's reason and of the release's reason.
     */
    @ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.CsvSource(
            delimiter = '|',
            value = {
                "a pass at 5% moves the canary to 25%|true|good|1|PASS|2|CANARY_LIVE|2|"
                        + "weighted step 1 of 2 (5%) passed: the canary moves to step 2 of 2 (25%)|",
                "a pass at the last step promotes on autoPromote: analysis|true|good,good|2|PASS|0|PROMOTING|2|"
                        + "the canary failed 0.00%|autoPromote: analysis, window 2",
                "a pass at the last step without autoPromote: analysis waits for an operator|false|good,good|2|PASS|0|CANARY_LIVE|2|"
                        + "the last weighted step 2 of 2 (25%) passed: the canary stays at it until an operator promotes|",
                "failureLimit failed windows at 5% abort|true|errors,errors|1|FAIL|0|ABORTED|1|"
                        + "failed window 2 of failureLimit 2: the release aborts|aborted by the canary analysis failed window 2",
                "one failed window at 25% does not move the canary back or on|true|good,errors|2|FAIL|0|CANARY_LIVE|2|"
                        + "failed window 1 of failureLimit 2|",
                "an inconclusive window at 5% waits for an operator and says why|true|quiet|1|INCONCLUSIVE|0|CANARY_LIVE|1|"
                        + "too little traffic: the canary served 5 and the baseline 15 requests, minRequests is 20;"
                        + " the canary stays at weighted step 1 of 2 (5%): waiting for an operator (promote or abort)|"
                        + "waiting for an operator: analysis window 1 inconclusive at weighted step 1 of 2 (5%): too little traffic",
                "after an inconclusive window a pass still moves on|true|quiet,good|1|PASS|2|CANARY_LIVE|2|"
                        + "the canary moves to step 2 of 2 (25%)|",
            })
    void weightedSteps(
            String what,
            boolean promoteOnAnalysis,
            String windows,
            int judgedAt,
            dev.canaryrelease.events.analysis.Verdict.Outcome outcome,
            int asked,
            Phase phase,
            int step,
            String verdictReason,
            String releaseReason) {
        policy = policy.withAnalysis(java.util.Map.of(APP, WEIGHTED), promoteOnAnalysis);
        rollouts = new Rollouts(policy, Set.of(APP));
        String id = canaryLive("r-" + UUID.randomUUID());
        assertEquals(1, release(id).weightStep(), what);
        String[] kinds = windows.split(",");
        for (int i = 0; i < kinds.length; i++) send(window(id, i + 1, kinds[i], "c0"));

        var v = emitted(dev.canaryrelease.events.model.AnalysisVerdict.class).get(0);
        assertEquals(outcome, v.outcome(), v.reason());
        assertEquals(judgedAt, v.weightStep(), v.reason());
        assertEquals(WEIGHTED.share(judgedAt), v.wantedShare(), v.reason());
        assertTrue(v.reason().contains(verdictReason), v.reason());
        var requests = emitted(dev.canaryrelease.events.model.CanaryWeightRequested.class);
        if (asked == 0) {
            assertTrue(requests.isEmpty(), what + ": " + requests);
        } else {
            assertEquals(
                    List.of(
                            new dev.canaryrelease.events.model.CanaryWeightRequested(
                                    id, APP, List.of("c0"), asked, 2, WEIGHTED.share(asked))),
                    requests);
        }
        Release r = release(id);
        assertEquals(phase, r.phase(), v.reason());
        assertEquals(step, r.weightStep(), v.reason());
        if (releaseReason != null && !releaseReason.isEmpty()) {
            assertTrue(r.reason() != null && r.reason().contains(releaseReason), r.reason());
        }
        if (phase == Phase.PROMOTING) {
            assertEquals("p1", emitted(HostUpdateRequested.class).get(0).host());
        }
    }

    @Test
    void anOperatorPromotesAWeightedCanaryAtAnyStep() {
        policy = policy.withAnalysis(java.util.Map.of(APP, WEIGHTED), false);
        rollouts = new Rollouts(policy, Set.of(APP));
        String id = canaryLive("r-op");
        send(new PromotionRequested(id, "alice", "5% looks fine"));
        assertEquals(Phase.PROMOTING, release(id).phase());
        // lb-service puts the weights back when the release leaves CANARY_LIVE: no request here
        assertTrue(emitted(dev.canaryrelease.events.model.CanaryWeightRequested.class).isEmpty());
        assertEquals(1, emitted(ReleasePhaseChanged.class).size());
        // the promotion's watch is not weighted
        send(window(id, 1, "good", "c0"));
        var v = emitted(dev.canaryrelease.events.model.AnalysisVerdict.class).get(0);
        assertEquals(0, v.weightStep());
        assertNull(v.wantedShare());
    }
}
