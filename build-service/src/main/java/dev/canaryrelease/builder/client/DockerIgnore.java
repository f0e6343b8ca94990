package dev.canaryrelease.builder.client;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The patterns of a {@code .dockerignore}, matched as the docker CLI matches them when it makes a
 * build context (moby's {@code ignorefile} and {@code patternmatcher}): one pattern a line, {@code
 * #} comments, a leading {@code !} re-includes, a leading {@code /} is dropped, {@code *} and
 * {@code ?} stop at {@code /}, {@code **} spans folders, {@code [..]} classes and {@code \}
 * escapes; a path is excluded when the last pattern matching it or one of its parent folders is not
 * an exception.
 *
 * <p>Applied here because the engine does not: over the API the client sends the context already
 * filtered, and the engine reads {@code .dockerignore} from the tar only to drop the Dockerfile and
 * the {@code .dockerignore} itself (moby {@code remotecontext.removeDockerfile}).
 */
final class DockerIgnore {
    private record Rule(Pattern regex, boolean exception) {}

    private final List<Rule> rules;
    private final boolean exceptions;

    private DockerIgnore(List<Rule> rules) {
        this.rules = rules;
        this.exceptions = rules.stream().anyMatch(Rule::exception);
    }

    static final DockerIgnore NONE = new DockerIgnore(List.of());

    static DockerIgnore parse(String text) {
        List<Rule> rules = new ArrayList<>();
        String body = text.startsWith("\uFEFF") ? text.substring(1) : text;
        for (String raw : body.split("\\r?\\n")) {
            if (raw.startsWith("#")) {
                continue;
            }
            String p = raw.strip();
            if (p.isEmpty()) {
                continue;
            }
            boolean exception = p.startsWith("!");
            if (exception) {
                p = p.substring(1).strip();
            }
            if (p.isEmpty()) {
                continue;
            }
            p = clean(p);
            if (p.length() > 1 && p.startsWith("/")) {
                p = p.substring(1);
            }
            rules.add(new Rule(Pattern.compile(regex(p)), exception));
        }
        return new DockerIgnore(List.copyOf(rules));
    }

    /** True if some pattern re-includes paths, so an excluded folder must still be walked. */
    boolean hasExceptions() {
        return exceptions;
    }

    /** True if {@code path} (relative, {@code /}-separated) is left out of the context. */
    boolean excludes(String path) {
        boolean matched = false;
        String[] parents = path.split("/");
        for (Rule r : rules) {
            if (r.exception() != matched) {
                continue;
            }
            boolean match = r.regex().matcher(path).matches();
            StringBuilder parent = new StringBuilder();
            for (int i = 0; !match && i < parents.length - 1; i++) {
                if (i > 0) {
                    parent.append('/');
                }
                parent.append(parents[i]);
                match = r.regex().matcher(parent).matches();
            }
            if (match) {
                matched = !r.exception();
            }
        }
        return matched;
    }

    /** Go's {@code filepath.Clean} for {@code /}-separated patterns. */
    static String clean(String p) {
        boolean rooted = p.startsWith("/");
        List<String> out = new ArrayList<>();
        for (String s : p.split("/+")) {
            if (s.isEmpty() || s.equals(".")) {
                continue;
            }
            if (s.equals("..")) {
                if (!out.isEmpty() && !out.get(out.size() - 1).equals("..")) {
                    out.remove(out.size() - 1);
                    continue;
                }
                if (rooted) {
                    continue;
                }
            }
            out.add(s);
        }
        String joined = String.join("/", out);
        return rooted ? "/" + joined : joined.isEmpty() ? "." : joined;
    }

    private static String regex(String pattern) {
        StringBuilder r = new StringBuilder("^");
        int n = pattern.length();
        for (int i = 0; i < n; i++) {
            char ch = pattern.charAt(i);
            if (ch == '*') {
                if (i + 1 < n && pattern.charAt(i + 1) == '*') {
                    i++;
                    if (i + 1 < n && pattern.charAt(i + 1) == '/') {
                        i++;
                    }
                    r.append(i + 1 >= n ? ".*" : "(.*/)?");
                } else {
                    r.append("[^/]*");
                }
            } else if (ch == '?') {
                r.append("[^/]");
            } else if (ch == '\\') {
                if (i + 1 < n) {
                    r.append(Pattern.quote(String.valueOf(pattern.charAt(++i))));
                } else {
                    r.append("\\\\");
                }
            } else if (ch == '['
                    || ch == ']'
                    || ch == '^' && i > 0 && pattern.charAt(i - 1) == '[') {
                r.append(ch);
            } else if (ch == '-' && inClass(pattern, i)) {
                r.append(ch);
            } else {
                r.append(Pattern.quote(String.valueOf(ch)));
            }
        }
        return r.append('$').toString();
    }

    private static boolean inClass(String p, int at) {
        int open = p.lastIndexOf('[', at);
        int close = p.lastIndexOf(']', at);
        return open > close;
    }
}
