package dev.canaryrelease.gateway.domain;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

import dev.canaryrelease.events.release.Phase;

/**
 * The settled releases that left memory, in the durable store a page at a time: the directory of
 * every chain (its pages, newest first, each with its count per state and its first and last place
 * in the list's order) and where each id bucket is. Only this directory is in memory: about 150
 * bytes a page of {@code pageSize} releases, and two numbers a bucket.
 *
 * <p>A chain is the list's order over one app ({@code page:<seq>:<app>}) or over every app ({@code
 * *}); a release leaving memory is written to both, and to its id's bucket. A list request reads
 * only the pages its window falls in (the counts say which); {@code GET /releases/{id}} reads one
 * bucket. {@link #plan} says what to write when releases leave memory or come back (an event for an
 * old release): pages are rewritten whole, a page past twice {@code pageSize} is split, an empty
 * one is deleted (a tombstone). Not thread-safe: {@link ReleaseStore} holds it under its lock.
 */
public final class Pages {
    /** The chain of every app. */
    public static final String ALL = "*";

    /** The list's order: newest first, then by id. */
    public static final Comparator<Stored.Summary> ORDER =
            Comparator.comparing(Stored.Summary::createdAt, Comparator.reverseOrder())
                    .thenComparing(Stored.Summary::id);

    /** Reads page and bucket records from the durable store. */
    public interface Reader {
        /**
         * @throws RuntimeException when the page cannot be read now
         */
        Stored.Page page(Stored.PageRef ref);

        /**
         * @throws RuntimeException when the bucket cannot be read now
         */
        Stored.Bucket bucket(int bucket, int partition, long offset);
    }

    /** One record to write to {@code gateway.release-pages} (null value: a tombstone). */
    public static final class Write {
        public final String key;
        public final Object value;
        int partition = -1;
        long offset = -1;

        Write(String key, Object value) {
            this.key = key;
            this.value = value;
        }

        /** The record is acknowledged there. */
        public void written(int partition, long offset) {
            this.partition = partition;
            this.offset = offset;
        }
    }

    /** A page of a plan: an unchanged one, or one written anew. */
    private record Slot(Stored.PageRef kept, long seq, List<Stored.Summary> releases, Write write) {
        Stored.PageRef ref() {
            if (kept != null) {
                return kept;
            }
            Map<Phase, Integer> states = new EnumMap<>(Phase.class);
            for (Stored.Summary s : releases) {
                states.merge(s.state() == null ? Phase.PENDING : s.state(), 1, Integer::sum);
            }
            Stored.Summary first = releases.get(0);
            Stored.Summary last = releases.get(releases.size() - 1);
            return new Stored.PageRef(
                    seq,
                    releases.size(),
                    states,
                    first.createdAt(),
                    first.id(),
                    last.createdAt(),
                    last.id(),
                    write.partition,
                    write.offset);
        }
    }

    /**
     * What releases leaving (or coming back into) memory change: the records to write, then the
     * directory that holds once they are acknowledged ({@link #directory}, {@link #commit}).
     */
    public static final class Plan {
        public final List<Write> writes = new ArrayList<>();
        final Map<String, List<Slot>> chains = new LinkedHashMap<>();
        final Map<Integer, Write> buckets = new HashMap<>();
        final Map<Integer, Boolean> emptied = new HashMap<>();
        long nextSeq;
        List<String> pending = List.of();

        public boolean isEmpty() {
            return writes.isEmpty();
        }
    }

    private final int pageSize;
    private final int bucketCount;
    private final Map<String, List<Stored.PageRef>> chains = new HashMap<>();
    private final int[] bucketPartition;
    private final long[] bucketOffset;
    private long nextSeq;
    private List<String> pending = List.of();

    public Pages(int pageSize, int bucketCount) {
        if (pageSize < 1 || bucketCount < 1) {
            throw new IllegalArgumentException(
                    "canary.gateway.page-releases and the bucket count must be at least 1");
        }
        this.pageSize = pageSize;
        this.bucketCount = bucketCount;
        this.bucketPartition = new int[bucketCount];
        this.bucketOffset = new long[bucketCount];
        Arrays.fill(bucketPartition, -1);
        Arrays.fill(bucketOffset, -1);
    }

    /** The directory read at start. */
    public void restore(Collection<Stored.Chain> read, Stored.Buckets buckets) {
        for (Stored.Chain c : read) {
            chains.put(c.chain(), List.copyOf(c.pages()));
        }
        if (buckets != null) {
            for (int i = 0; i < bucketCount && i < buckets.offsets().size(); i++) {
                bucketPartition[i] = buckets.partitions().get(i);
                bucketOffset[i] = buckets.offsets().get(i);
            }
            nextSeq = buckets.nextSeq();
            pending = buckets.pending() == null ? List.of() : List.copyOf(buckets.pending());
        }
    }

    /**
     * Releases whose {@code release:<id>} tombstone may be missing (see {@link Stored.Buckets}).
     */
    public List<String> pending() {
        return pending;
    }

    /** A chain's pages, newest first. */
    public List<Stored.PageRef> chain(String chain) {
        return chains.getOrDefault(chain, List.of());
    }

    /** Releases in pages (each once). */
    public long total() {
        long n = 0;
        for (Stored.PageRef p : chain(ALL)) n += p.count();
        return n;
    }

    /** Pages in the directory, over every chain. */
    public int pageCount() {
        int n = 0;
        for (List<Stored.PageRef> c : chains.values()) n += c.size();
        return n;
    }

    int bucketOf(String id) {
        return Math.floorMod(id.hashCode(), bucketCount);
    }

    /** The summary of a paged release, read from its bucket (empty: not paged). */
    public Optional<Stored.Summary> find(String id, Reader reader) {
        int b = bucketOf(id);
        if (bucketOffset[b] < 0) {
            return Optional.empty();
        }
        return Optional.ofNullable(
                reader.bucket(b, bucketPartition[b], bucketOffset[b]).releases().get(id));
    }

    /**
     * Where the bucket of {@code id} is, to read it outside the store's lock: {bucket, partition,
     * offset}, or null when the bucket is empty.
     */
    public long[] bucketAt(String id) {
        int b = bucketOf(id);
        return bucketOffset[b] < 0 ? null : new long[] {b, bucketPartition[b], bucketOffset[b]};
    }

    /** Whether a page-out must look in the store for {@code id} (its bucket is not empty). */
    public boolean mayHold(String id) {
        return bucketOffset[bucketOf(id)] >= 0;
    }

    /** How many of a page's releases are in {@code states} (all of them: null or empty). */
    static int matches(Stored.PageRef p, Set<Phase> states) {
        if (states == null || states.isEmpty()) {
            return p.count();
        }
        int n = 0;
        for (Phase s : states) n += p.states().getOrDefault(s, 0);
        return n;
    }

    static int compare(Stored.Summary s, Instant at, String id) {
        int c = at.compareTo(s.createdAt()); // newest first
        return c != 0 ? c : s.id().compareTo(id);
    }

    /**
     * What to write for {@code out} (settled releases leaving memory) and {@code back} (paged
     * releases that changed and are in memory again, as they were paged), and the tombstones still
     * {@code pending}.
     */
    public Plan plan(
            Collection<Stored.Summary> out,
            Collection<Stored.Summary> back,
            List<String> pendingIds,
            Reader reader) {
        Plan plan = new Plan();
        plan.nextSeq = nextSeq;
        // the tombstones of these releases' release:<id> are written after the directory
        List<String> due = new ArrayList<>(pendingIds);
        for (Stored.Summary x : out) {
            if (!due.contains(x.id())) due.add(x.id());
        }
        plan.pending = List.copyOf(due);
        Map<String, List<Stored.Summary>> adds = new LinkedHashMap<>();
        Map<String, List<Stored.Summary>> removes = new LinkedHashMap<>();
        for (Stored.Summary s : out) {
            adds.computeIfAbsent(ALL, c -> new ArrayList<>()).add(s);
            if (s.app() != null) adds.computeIfAbsent(s.app(), c -> new ArrayList<>()).add(s);
        }
        for (Stored.Summary s : back) {
            removes.computeIfAbsent(ALL, c -> new ArrayList<>()).add(s);
            if (s.app() != null) removes.computeIfAbsent(s.app(), c -> new ArrayList<>()).add(s);
        }
        Set<String> touched = new java.util.LinkedHashSet<>(adds.keySet());
        touched.addAll(removes.keySet());
        for (String chain : touched) {
            plan.chains.put(
                    chain,
                    planChain(
                            plan,
                            chain,
                            adds.getOrDefault(chain, List.of()),
                            removes.getOrDefault(chain, List.of()),
                            reader));
        }
        Map<Integer, Map<String, Stored.Summary>> buckets = new HashMap<>();
        for (Stored.Summary s : back) {
            bucket(buckets, bucketOf(s.id()), reader).remove(s.id());
        }
        for (Stored.Summary s : out) {
            bucket(buckets, bucketOf(s.id()), reader).put(s.id(), s);
        }
        buckets.forEach(
                (b, m) -> {
                    Write w =
                            new Write("bucket:" + b, m.isEmpty() ? null : new Stored.Bucket(b, m));
                    plan.writes.add(w);
                    plan.buckets.put(b, w);
                    plan.emptied.put(b, m.isEmpty());
                });
        return plan;
    }

    private Map<String, Stored.Summary> bucket(
            Map<Integer, Map<String, Stored.Summary>> loaded, int b, Reader reader) {
        return loaded.computeIfAbsent(
                b,
                x ->
                        bucketOffset[x] < 0
                                ? new HashMap<>()
                                : new HashMap<>(
                                        reader.bucket(x, bucketPartition[x], bucketOffset[x])
                                                .releases()));
    }

    private List<Slot> planChain(
            Plan plan,
            String chain,
            List<Stored.Summary> add,
            List<Stored.Summary> remove,
            Reader reader) {
        List<Stored.PageRef> refs = chain(chain);
        // the pages as they will be: a ref kept as it is, or its releases (loaded or new)
        List<Object> pages = new ArrayList<>(refs);
        List<Long> seqs = new ArrayList<>();
        for (Stored.PageRef r : refs) seqs.add(r.seq());
        for (Stored.Summary s : remove) {
            int i = pageOf(pages, s);
            if (i >= 0) {
                load(pages, i, reader).removeIf(x -> x.id().equals(s.id()));
            }
        }
        List<Stored.Summary> sorted = new ArrayList<>(add);
        sorted.sort(ORDER.reversed()); // oldest first: the newest go to the front page last
        for (Stored.Summary s : sorted) {
            int i = pages.isEmpty() ? -1 : pageOf(pages, s);
            if (i < 0
                    || (i == 0
                            && newerThanAll(pages.get(0), s)
                            && size(pages.get(0)) >= pageSize)) {
                if (i < 0 && !pages.isEmpty()) {
                    i = pages.size() - 1; // older than every page: the oldest one
                    put(load(pages, i, reader), s);
                    continue;
                }
                TreeSet<Stored.Summary> fresh = new TreeSet<>(ORDER);
                fresh.add(s);
                pages.add(0, fresh);
                seqs.add(0, plan.nextSeq++);
                continue;
            }
            put(load(pages, i, reader), s);
        }
        List<Slot> slots = new ArrayList<>();
        for (int i = 0; i < pages.size(); i++) {
            Object p = pages.get(i);
            long seq = seqs.get(i);
            if (p instanceof Stored.PageRef r) {
                slots.add(new Slot(r, r.seq(), null, null));
                continue;
            }
            List<Stored.Summary> rs = new ArrayList<>((TreeSet<Stored.Summary>) p);
            if (rs.isEmpty()) {
                plan.writes.add(new Write(key(seq, chain), null));
                continue;
            }
            int parts = rs.size() > 2 * pageSize ? (rs.size() + pageSize - 1) / pageSize : 1;
            for (int k = 0; k < parts; k++) {
                List<Stored.Summary> part =
                        rs.subList(k * rs.size() / parts, (k + 1) * rs.size() / parts);
                long s = k == 0 ? seq : plan.nextSeq++;
                Write w = new Write(key(s, chain), new Stored.Page(chain, s, List.copyOf(part)));
                plan.writes.add(w);
                slots.add(new Slot(null, s, List.copyOf(part), w));
            }
        }
        return slots;
    }

    /** Adds {@code s} in place of an earlier copy of the same release. */
    private static void put(TreeSet<Stored.Summary> page, Stored.Summary s) {
        page.removeIf(x -> x.id().equals(s.id()));
        page.add(s);
    }

    private static String key(long seq, String chain) {
        return "page:" + seq + ":" + chain;
    }

    private static boolean newerThanAll(Object page, Stored.Summary s) {
        if (page instanceof Stored.PageRef r) {
            return compare(s, r.newestAt(), r.newestId()) < 0;
        }
        @SuppressWarnings("unchecked")
        TreeSet<Stored.Summary> t = (TreeSet<Stored.Summary>) page;
        return t.isEmpty() || ORDER.compare(s, t.first()) < 0;
    }

    private static int size(Object page) {
        return page instanceof Stored.PageRef r ? r.count() : ((TreeSet<?>) page).size();
    }

    /**
     * The page {@code s} belongs in: the first (newest) one whose last release is not newer than
     * it; -1 when it is older than every page.
     */
    private static int pageOf(List<Object> pages, Stored.Summary s) {
        for (int i = 0; i < pages.size(); i++) {
            Object p = pages.get(i);
            if (p instanceof Stored.PageRef r) {
                if (compare(s, r.oldestAt(), r.oldestId()) <= 0) return i;
            } else {
                @SuppressWarnings("unchecked")
                TreeSet<Stored.Summary> t = (TreeSet<Stored.Summary>) p;
                if (!t.isEmpty() && ORDER.compare(s, t.last()) <= 0) return i;
            }
        }
        return -1;
    }

    @SuppressWarnings("unchecked")
    private static TreeSet<Stored.Summary> load(List<Object> pages, int i, Reader reader) {
        Object p = pages.get(i);
        if (p instanceof Stored.PageRef r) {
            TreeSet<Stored.Summary> t = new TreeSet<>(ORDER);
            t.addAll(reader.page(r).releases());
            pages.set(i, t);
            return t;
        }
        return (TreeSet<Stored.Summary>) p;
    }

    /**
     * The directory records of a plan whose writes are acknowledged: {@code pages:<chain>} of each
     * chain it changed, and {@code buckets} (key to value).
     */
    public Map<String, Object> directory(Plan plan) {
        Map<String, Object> records = new LinkedHashMap<>();
        plan.chains.forEach(
                (chain, slots) ->
                        records.put(
                                "pages:" + chain,
                                new Stored.Chain(chain, slots.stream().map(Slot::ref).toList())));
        List<Integer> partitions = new ArrayList<>(bucketCount);
        List<Long> offsets = new ArrayList<>(bucketCount);
        for (int b = 0; b < bucketCount; b++) {
            Write w = plan.buckets.get(b);
            boolean empty = w != null && plan.emptied.get(b);
            partitions.add(w == null ? bucketPartition[b] : empty ? -1 : w.partition);
            offsets.add(w == null ? bucketOffset[b] : empty ? -1L : w.offset);
        }
        records.put("buckets", new Stored.Buckets(partitions, offsets, plan.nextSeq, plan.pending));
        return records;
    }

    /** The {@code buckets} record as the directory is now. */
    public Stored.Buckets buckets() {
        List<Integer> partitions = new ArrayList<>(bucketCount);
        List<Long> offsets = new ArrayList<>(bucketCount);
        for (int b = 0; b < bucketCount; b++) {
            partitions.add(bucketPartition[b]);
            offsets.add(bucketOffset[b]);
        }
        return new Stored.Buckets(partitions, offsets, nextSeq, pending);
    }

    /** The plan's records and directory are acknowledged: it is the directory now. */
    public void commit(Plan plan) {
        plan.chains.forEach(
                (chain, slots) -> {
                    List<Stored.PageRef> refs = slots.stream().map(Slot::ref).toList();
                    if (refs.isEmpty()) chains.remove(chain);
                    else chains.put(chain, refs);
                });
        plan.buckets.forEach(
                (b, w) -> {
                    boolean empty = plan.emptied.get(b);
                    bucketPartition[b] = empty ? -1 : w.partition;
                    bucketOffset[b] = empty ? -1 : w.offset;
                });
        nextSeq = plan.nextSeq;
        pending = plan.pending;
    }

    /** The tombstones of {@code ids} are acknowledged (the next directory written drops them). */
    public void tombstoned(Collection<String> ids) {
        List<String> left = new ArrayList<>(pending);
        left.removeAll(ids);
        pending = List.copyOf(left);
    }

    /**
     * One window of the list over memory and pages merged in {@link #ORDER}: {@code from} releases
     * skipped, at most {@code size} returned. Pages wholly before the window are skipped by their
     * counts; only the pages the window falls in are read.
     *
     * @param memory the releases in memory that match, in {@link #ORDER}
     * @param inMemory the ids in memory (a paged copy of one of them is skipped)
     */
    List<Stored.Summary> window(
            List<Stored.Summary> memory,
            Set<String> inMemory,
            String chain,
            Set<Phase> states,
            long from,
            int size,
            Reader reader) {
        List<Stored.PageRef> refs = chain(chain);
        long skipped = 0;
        int i = 0;
        int memStart = 0;
        while (i < refs.size()) {
            Stored.PageRef p = refs.get(i);
            int c = matches(p, states);
            if (c == 0) {
                i++;
                continue;
            }
            int memBefore = countNotAfter(memory, p.oldestAt(), p.oldestId());
            if (skipped + c + memBefore <= from) {
                skipped += c;
                memStart = memBefore;
                i++;
            } else {
                break;
            }
        }
        long pos = skipped + memStart;
        int m = memStart;
        List<Stored.Summary> out = new ArrayList<>();
        java.util.ArrayDeque<Stored.Summary> paged = new java.util.ArrayDeque<>();
        while (out.size() < size) {
            if (paged.isEmpty() && i < refs.size()) {
                Stored.PageRef p = refs.get(i);
                boolean memFirst =
                        m < memory.size() && compare(memory.get(m), p.newestAt(), p.newestId()) < 0;
                if (!memFirst) {
                    i++;
                    if (matches(p, states) > 0) {
                        for (Stored.Summary s : reader.page(p).releases()) {
                            if (!inMemory.contains(s.id())
                                    && (states == null
                                            || states.isEmpty()
                                            || states.contains(s.state()))) {
                                paged.add(s);
                            }
                        }
                    }
                    continue;
                }
            }
            Stored.Summary next;
            if (m < memory.size()
                    && (paged.isEmpty() || ORDER.compare(memory.get(m), paged.peek()) < 0)) {
                next = memory.get(m++);
            } else if (!paged.isEmpty()) {
                next = paged.poll();
            } else {
                break;
            }
            if (pos >= from) {
                out.add(next);
            }
            pos++;
        }
        return out;
    }

    /** How many of {@code memory} (in {@link #ORDER}) are not after the place (at, id). */
    private static int countNotAfter(List<Stored.Summary> memory, Instant at, String id) {
        int lo = 0;
        int hi = memory.size();
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (compare(memory.get(mid), at, id) <= 0) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }
}
