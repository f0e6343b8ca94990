package dev.canaryrelease.ctl;

import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;

/** What canaryctl prints for people: tables, one screen per release. */
final class Screen {
    private static final DateTimeFormatter CLOCK =
            DateTimeFormatter.ofPattern("HH:mm:ss.SSS").withZone(ZoneOffset.UTC);
    private static final int LAST_EVENTS = 10;

    private Screen() {}

    static void releases(PrintWriter out, JsonNode items) {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"RELEASE", "APP", "STATE", "COMMIT", "PUSHER", "UPDATED"});
        for (JsonNode r : items) {
            rows.add(
                    new String[] {
                        r.path("id").asText(),
                        r.path("app").asText(),
                        r.path("state").asText(),
                        shortSha(r.path("commitSha").asText(null)),
                        r.path("pusher").asText("-"),
                        r.path("updatedAt").asText("-")
                    });
        }
        table(out, rows);
    }

    /** The one screen of {@code get}: phase, hosts, last events. */
    static void release(PrintWriter out, JsonNode r) {
        out.printf(
                "release %s   app %s   %s%n",
                r.path("id").asText(), r.path("app").asText(), r.path("state").asText());
        out.printf(
                "commit %s (%s) by %s   image %s%n",
                shortSha(r.path("commitSha").asText(null)),
                r.path("ref").asText("-"),
                r.path("pusher").asText("-"),
                version(r.path("digest").asText(null)));
        if (r.hasNonNull("reason")) out.printf("reason: %s%n", r.get("reason").asText());
        out.println();

        Map<String, String[]> timings = hostTimings(r.path("timeline"));
        List<String[]> rows = new ArrayList<>();
        rows.add(
                new String[] {
                    "HOST",
                    "ROLE",
                    "VERSION",
                    "PREVIOUS",
                    "LB",
                    "THIS RELEASE",
                    "LAST STAGE",
                    "DRAIN",
                    "SWAP",
                    "ENABLE"
                });
        for (JsonNode h : r.path("hosts")) {
            String[] t =
                    timings.getOrDefault(h.path("name").asText(), new String[] {"-", "-", "-"});
            rows.add(
                    new String[] {
                        h.path("name").asText(),
                        h.path("role").asText("-"),
                        version(h.path("digest").asText(null)),
                        version(h.path("previousDigest").asText(null)),
                        h.path("lbState").asText("-"),
                        h.path("runsRelease").asBoolean() ? "yes" : "no",
                        h.path("lastStage").asText("-"),
                        t[0],
                        t[1],
                        t[2]
                    });
        }
        table(out, rows);
        out.println();
        analysis(out, r.path("analysis"));
        JsonNode timeline = r.path("timeline");
        int from = Math.max(0, timeline.size() - LAST_EVENTS);
        out.printf("last events (%d of %d):%n", timeline.size() - from, timeline.size());
        for (int i = from; i < timeline.size(); i++) out.println("  " + event(timeline.get(i)));
    }

    /**
     * The canary analysis (the gateway's {@code analysis}): the latest judged windows with both
     * sides' numbers and each one's reason, and a weighted canary's steps with the wanted share,
     * the share its weights give and the share served. Nothing without an analysis.
     */
    static void analysis(PrintWriter out, JsonNode a) {
        if (a == null || a.isMissingNode() || a.isNull()) return;
        JsonNode windows = a.path("windows");
        if (windows.size() > 0) {
            out.printf(
                    "canary analysis (latest %d of %d windows judged):%n",
                    windows.size(), a.path("judged").asInt(windows.size()));
            List<String[]> rows = new ArrayList<>();
            rows.add(
                    new String[] {
                        "WINDOW",
                        "VERDICT",
                        "FAILED",
                        "STEP",
                        "CANARY REQ",
                        "ERRORS",
                        "P50/P95",
                        "BASELINE REQ",
                        "ERRORS",
                        "P50/P95",
                        "SHARE WANTED/SERVED"
                    });
            for (JsonNode w : windows) {
                int step = w.path("weightStep").asInt();
                rows.add(
                        new String[] {
                            w.path("window").asText(),
                            w.path("outcome").asText(),
                            w.path("failures").asText() + "/" + w.path("failureLimit").asText(),
                            step == 0 ? "-" : Integer.toString(step),
                            w.path("canaryRequests").asText(),
                            share(w.path("canaryErrorRate")),
                            millis(w.path("canaryP50Ms"), w.path("canaryP95Ms")),
                            w.path("baselineRequests").asText(),
                            share(w.path("baselineErrorRate")),
                            millis(w.path("baselineP50Ms"), w.path("baselineP95Ms")),
                            step == 0
                                    ? "-"
                                    : share(w.path("wantedShare"))
                                            + "/"
                                            + share(w.path("servedShare"))
                        });
            }
            table(out, rows);
            for (JsonNode w : windows) {
                out.printf(
                        "  window %s %s: %s%n",
                        w.path("window").asText(),
                        w.path("outcome").asText(),
                        w.path("reason").asText("-"));
            }
            out.println();
        }
        JsonNode steps = a.path("steps");
        if (steps.size() > 0) {
            out.println("weighted steps:");
            List<String[]> rows = new ArrayList<>();
            rows.add(
                    new String[] {"STEP", "WANTED", "BY WEIGHTS", "SERVED", "SESSIONS", "WEIGHTS"});
            for (JsonNode st : steps) {
                boolean ended = st.hasNonNull("servedShare");
                JsonNode ws = st.path("weights");
                List<String> weights = new ArrayList<>();
                ws.fieldNames().forEachRemaining(n -> weights.add(n + "=" + ws.get(n).asText()));
                java.util.Collections.sort(weights);
                rows.add(
                        new String[] {
                            st.path("step").asText(),
                            share(st.path("wantedShare")),
                            share(st.path("weightShare")),
                            ended ? share(st.path("servedShare")) : "(running)",
                            ended
                                    ? st.path("canarySessions").asText()
                                            + " of "
                                            + st.path("sessions").asText()
                                    : "-",
                            weights.isEmpty() ? "-" : String.join(" ", weights)
                        });
            }
            table(out, rows);
            out.println();
        }
    }

    /** A fraction as a percentage with one decimal; "-" when unknown (null, or below 0). */
    static String share(JsonNode v) {
        if (v == null || !v.isNumber() || v.asDouble() < 0) return "-";
        return String.format(java.util.Locale.ROOT, "%.1f%%", v.asDouble() * 100);
    }

    private static String millis(JsonNode p50, JsonNode p95) {
        if (p50.asLong(-1) < 0) return "-";
        return p50.asLong() + "/" + p95.asLong() + " ms";
    }

    /**
     * Per host, the last cycle's drain (update requested → drained), swap (drained → updated) and
     * enable (updated → enabled) times, from the release's own events.
     */
    static Map<String, String[]> hostTimings(JsonNode timeline) {
        Map<String, Map<String, Instant>> at = new HashMap<>();
        for (JsonNode e : timeline) {
            String host = e.path("data").path("host").asText(null);
            if (host == null) continue;
            String type = shortType(e.path("type").asText());
            Instant time = Instant.parse(e.path("time").asText());
            at.computeIfAbsent(host, h -> new HashMap<>()).put(type, time);
        }
        Map<String, String[]> out = new HashMap<>();
        at.forEach(
                (host, t) ->
                        out.put(
                                host,
                                new String[] {
                                    between(t.get("host.update-requested"), t.get("host.drained")),
                                    between(t.get("host.drained"), t.get("host.updated")),
                                    between(t.get("host.updated"), t.get("host.enabled"))
                                }));
        return out;
    }

    /** One event on one line: time, type, source, release, host/reason. */
    static String event(JsonNode e) {
        JsonNode data = e.path("data");
        StringBuilder b = new StringBuilder();
        String time = e.path("time").asText(null);
        b.append(time == null ? "-" : CLOCK.format(Instant.parse(time))).append("  ");
        b.append(String.format("%-24s", shortType(e.path("type").asText()))).append(' ');
        String source = e.path("source").asText();
        b.append(String.format("%-18s", source.substring(source.lastIndexOf('/') + 1)));
        String subject = e.path("subject").asText(data.path("releaseId").asText(null));
        if (subject != null) b.append(" release ").append(subject);
        if (data.hasNonNull("host")) b.append(" host ").append(data.get("host").asText());
        if (data.hasNonNull("stage")) b.append(" ").append(data.get("stage").asText());
        if (data.hasNonNull("operator")) b.append(" by ").append(data.get("operator").asText());
        if (data.hasNonNull("reason")) b.append(": ").append(data.get("reason").asText());
        return b.toString();
    }

    static String shortType(String type) {
        return type.startsWith("dev.canaryrelease.") ? type.substring(18) : type;
    }

    private static String between(Instant a, Instant b) {
        if (a == null || b == null || b.isBefore(a)) return "-";
        return Duration.between(a, b).toMillis() + " ms";
    }

    private static String shortSha(String sha) {
        return sha == null || sha.isEmpty() ? "-" : sha.substring(0, Math.min(7, sha.length()));
    }

    /** A digest as people compare them: {@code sha256:} and its first 12 hex digits. */
    static String version(String digest) {
        if (digest == null || digest.isEmpty()) return "-";
        int colon = digest.indexOf(':');
        String hex = colon < 0 ? digest : digest.substring(colon + 1);
        return (colon < 0 ? "" : digest.substring(0, colon + 1))
                + hex.substring(0, Math.min(12, hex.length()));
    }

    private static void table(PrintWriter out, List<String[]> rows) {
        int[] width = new int[rows.get(0).length];
        for (String[] r : rows) {
            for (int i = 0; i < r.length; i++) width[i] = Math.max(width[i], r[i].length());
        }
        for (String[] r : rows) {
            StringBuilder b = new StringBuilder();
            for (int i = 0; i < r.length; i++) {
                b.append(r[i]);
                if (i < r.length - 1) b.append(" ".repeat(width[i] - r[i].length() + 2));
            }
            out.println(b.toString().stripTrailing());
        }
    }
}
