package dev.canaryrelease.dns.client;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.canaryrelease.dns.domain.DnsException;
import dev.canaryrelease.dns.domain.RecordSet;

/**
 * The marked block of a hosts file (pure). Text is handled as ISO-8859-1 so that every byte outside
 * the block comes back unchanged. The block starts with a line {@code # BEGIN canary-release} and
 * ends with a line {@code # END canary-release}; each record is a line {@code
 * <address>\t<name>.<zone> <name>}.
 */
public final class HostsBlock {
    public static final String BEGIN = "# BEGIN canary-release";
    public static final String END = "# END canary-release";
    static final String NOTE = "# kept by dns-service: edits inside this block are overwritten";

    private HostsBlock() {}

    /** Where the block is: [start, end) in the text, or null when there is none. */
    record Span(int start, int end) {}

    static Span find(String text) throws DnsException {
        int begin = lineStart(text, BEGIN, 0);
        int end = begin < 0 ? lineStart(text, END, 0) : lineStart(text, END, begin);
        if (begin < 0 && end < 0) {
            return null;
        }
        if (begin < 0 || end < 0) {
            throw new DnsException(
                    "the hosts file has "
                            + (begin < 0
                                    ? "'" + END + "' without '" + BEGIN
                                    : "'" + BEGIN + "' without '" + END)
                            + "': not touching it");
        }
        int after = text.indexOf('\n', end);
        return new Span(begin, after < 0 ? text.length() : after + 1);
    }

    /** Index of a line that is exactly {@code line} (a trailing CR allowed), from {@code from}. */
    private static int lineStart(String text, String line, int from) {
        int i = from;
        while (i <= text.length()) {
            int nl = text.indexOf('\n', i);
            String l = text.substring(i, nl < 0 ? text.length() : nl);
            if (l.equals(line) || l.equals(line + "\r")) {
                return i;
            }
            if (nl < 0) {
                return -1;
            }
            i = nl + 1;
        }
        return -1;
    }

    /** The records in the block, by name (A only: hosts files have no CNAMEs, no TTLs). */
    public static Map<String, List<RecordSet>> parse(String text, String zone) throws DnsException {
        Span span = find(text);
        Map<String, List<String>> addresses = new LinkedHashMap<>();
        if (span != null) {
            for (String line : text.substring(span.start(), span.end()).split("\n")) {
                String l = line.strip();
                if (l.isEmpty() || l.startsWith("#")) {
                    continue;
                }
                String[] f = l.split("\\s+");
                if (f.length < 2) {
                    continue;
                }
                String name = f[1];
                String suffix = "." + zone;
                if (name.endsWith(suffix)) {
                    name = name.substring(0, name.length() - suffix.length());
                }
                addresses.computeIfAbsent(name, k -> new ArrayList<>()).add(f[0]);
            }
        }
        Map<String, List<RecordSet>> out = new LinkedHashMap<>();
        addresses.forEach((n, a) -> out.put(n, List.of(new RecordSet(n, RecordSet.A, a, 0))));
        return out;
    }

    /** The block for {@code records} (empty text when there are none). */
    static String render(List<RecordSet> records, String zone) {
        if (records.isEmpty()) {
            return "";
        }
        StringBuilder b = new StringBuilder(BEGIN).append('\n').append(NOTE).append('\n');
        for (RecordSet r : records) {
            for (String a : r.values()) {
                b.append(a).append('\t').append(r.name()).append('.').append(zone);
                b.append(' ').append(r.name()).append('\n');
            }
        }
        return b.append(END).append('\n').toString();
    }

    /**
     * {@code text} with its block replaced by one holding {@code records}; the block is removed
     * when there are none, appended at the end when there was none. Nothing else changes, except a
     * final newline added to a last line that had none when a block is appended after it.
     */
    public static String rewrite(String text, List<RecordSet> records, String zone)
            throws DnsException {
        String block = render(records, zone);
        Span span = find(text);
        if (span != null) {
            return text.substring(0, span.start()) + block + text.substring(span.end());
        }
        if (block.isEmpty()) {
            return text;
        }
        if (!text.isEmpty() && !text.endsWith("\n")) {
            return text + "\n" + block;
        }
        return text + block;
    }
}
