// Batch runner for ruleport's Lucene executor: index events as Elasticsearch
// keyword fields in memory, parse query_string queries with Lucene's classic
// parser (adjusted where Elasticsearch's query_string differs), print the
// 0-based indexes of the events each matches. The semantics are documented in
// converters/lucene/executor.py.
//
// Input on stdin, UTF-8, one record per line, values escaped (\\ \t \n \r):
//   Q<TAB>query            a query (the first lines; one or more)
//   ?                      optional: asks which fields the queries read; the
//                          helper answers "FIELDS<TAB>f1<TAB>f2..." (or
//                          "FIELDS<TAB>*" for all) at once, before the events
//   F<TAB>field<TAB>k|l|d|f|i|t|p<TAB>value   one value of the current event
//                          (k keyword, l long, d double, f float, i ip; analysed
//                          text: t standard analyzer, p Elastic's powershell_script_analyzer)
//   .                      end of the current event
// Output on stdout: one line per query, in order, "H<TAB>i,j,k" (the matching
// indexes, ascending) or "E<TAB>message" when the parser rejects the query.
// A protocol error prints "ERROR<TAB>message" on stderr and exits with 3.
//
// Leaf mode (first line "LEAVES"): checks single pattern/value pairs the way
// Elasticsearch builds its term, wildcard and regexp queries on a keyword field.
//   P<TAB>term|wildcard|regexp<TAB>0|1<TAB>pattern   a pattern (1: case_insensitive)
//   V<TAB>value                                       a value to test against it
// Output: one line per pattern, "R<TAB>0110..." (one digit per value, in order)
// or "E<TAB>message" when the query cannot be built (its values are skipped).
// The queries are Lucene's own (TermQuery, WildcardQuery, RegexpQuery with
// RegExp.ALL syntax flags and RegExp.ASCII_CASE_INSENSITIVE, as Elasticsearch's
// RegexpQueryBuilder passes them); a value matches when the query's compiled
// automaton accepts its UTF-8 bytes, which is how the query tests each term.
// A case-insensitive term or wildcard query is an AutomatonQuery over the
// automaton Elasticsearch builds for it (AutomatonQueries in its source): each
// code point up to U+0080 with its other case, others as they are; `*` any
// string, `?` any one code point, `\` makes the next code point literal and
// NOT case-folded (a trailing `\` is literal).

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.LowerCaseFilter;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.core.KeywordTokenizer;
import org.apache.lucene.analysis.pattern.PatternTokenizer;
import org.apache.lucene.analysis.standard.StandardTokenizer;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.DoublePoint;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.FloatPoint;
import org.apache.lucene.document.InetAddressPoint;
import org.apache.lucene.document.LongPoint;
import org.apache.lucene.document.NumericDocValuesField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.document.TextField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.NumericDocValues;
import org.apache.lucene.index.Term;
import org.apache.lucene.queryparser.classic.ParseException;
import org.apache.lucene.queryparser.classic.QueryParser;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.MatchAllDocsQuery;
import org.apache.lucene.search.MatchNoDocsQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.QueryVisitor;
import org.apache.lucene.search.ScoreMode;
import org.apache.lucene.search.SimpleCollector;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.search.AutomatonQuery;
import org.apache.lucene.search.RegexpQuery;
import org.apache.lucene.search.WildcardQuery;
import org.apache.lucene.store.ByteBuffersDirectory;
import org.apache.lucene.util.BytesRef;
import org.apache.lucene.util.automaton.Automata;
import org.apache.lucene.util.automaton.Automaton;
import org.apache.lucene.util.automaton.CompiledAutomaton;
import org.apache.lucene.util.automaton.Operations;
import org.apache.lucene.util.automaton.RegExp;

public final class RuleportLucene {
    static final String FIELD_NAMES = "_field_names"; // as Elasticsearch records present fields
    static final String INDEX = "_ruleport_index";
    static final String ALL = "*";                    // query_string's default_field

    /** Elastic's powershell_script_analyzer (the Windows integration's powershell_operational
     *  manifest): a `pattern` analyzer splitting on runs of ASCII non-word characters other than
     *  `-`, lower-casing (the pattern analyzer's default). */
    static final java.util.regex.Pattern POWERSHELL_SPLIT = java.util.regex.Pattern.compile("[\\W&&[^-]]+");

    /** Keyword fields keep values whole; `.caseless` fields carry a lowercase normalizer; text
     *  fields (kind t: Elasticsearch's standard analyzer, the standard tokenizer and lower-casing,
     *  no stop words; kind p: powershell_script_analyzer) are split into lower-cased words, their
     *  wildcard and prefix terms lower-cased (the analyzer's normalizer). */
    static final class KeywordFields extends Analyzer {
        final Map<String, Character> types;

        KeywordFields() {
            this(new HashMap<>());
        }

        KeywordFields(Map<String, Character> types) {
            super(PER_FIELD_REUSE_STRATEGY); // components differ by field name
            this.types = types;
        }

        boolean text(String field) {
            Character t = types.get(field);
            return t != null && (t == 't' || t == 'p');
        }

        @Override
        protected TokenStreamComponents createComponents(String field) {
            Character t = types.get(field);
            if (t != null && t == 't') {
                StandardTokenizer source = new StandardTokenizer();
                return new TokenStreamComponents(source, new LowerCaseFilter(source));
            }
            if (t != null && t == 'p') {
                PatternTokenizer source = new PatternTokenizer(POWERSHELL_SPLIT, -1);
                return new TokenStreamComponents(source, new LowerCaseFilter(source));
            }
            KeywordTokenizer source = new KeywordTokenizer();
            TokenStream sink = field.endsWith(".caseless") ? new LowerCaseFilter(source) : source;
            return new TokenStreamComponents(source, sink);
        }

        @Override
        public int getPositionIncrementGap(String field) {
            return text(field) ? 100 : 0;  // Elasticsearch's position_increment_gap: no phrase spans two values
        }

        @Override
        protected TokenStream normalize(String field, TokenStream in) {
            return field.endsWith(".caseless") || text(field) ? new LowerCaseFilter(in) : in;
        }
    }

    /** Classic parser with Elasticsearch query_string's differences. */
    static final class Parser extends QueryParser {
        final Map<String, Character> types;  // field -> k, l, d, f or i
        final List<String> fields;           // every field seen, for the `*` default field
        final Analyzer analyzer;

        Parser(Analyzer analyzer, Map<String, Character> types) {
            super(ALL, analyzer);
            this.analyzer = analyzer;
            this.types = types;
            this.fields = new ArrayList<>(new TreeSet<>(types.keySet()));
            setAllowLeadingWildcard(true);
            setDefaultOperator(QueryParser.Operator.OR);
            // query_string splits on operators only (Lucene's default since 7): a run of
            // plain terms with no operator between them is analyzed as one text
            setSplitOnWhitespace(false);
        }

        interface PerField { Query make(String field) throws ParseException; }

        /** An unbound term searches every field, leniently (as default_field `*` does). */
        boolean usedEveryField;              // an unbound term needs every field's values

        Query everyField(PerField per) {
            usedEveryField = true;
            BooleanQuery.Builder b = new BooleanQuery.Builder();
            int n = 0;
            for (String f : fields) {
                try {
                    Query q = per.make(f);
                    if (q != null) { b.add(q, BooleanClause.Occur.SHOULD); n++; }
                } catch (ParseException | RuntimeException e) {
                    // lenient: a value that does not fit a field's type matches nothing there
                }
            }
            return n == 0 ? new MatchNoDocsQuery() : b.build();
        }

        char type(String field) {
            Character t = types.get(field);
            return t == null ? 'k' : t;
        }

        @Override
        protected Query getFieldQuery(String field, String text, boolean quoted) throws ParseException {
            if ("_exists_".equals(field)) {
                return new TermQuery(new Term(FIELD_NAMES, text));
            }
            if (ALL.equals(field)) {
                return everyField(f -> getFieldQuery(f, text, quoted));
            }
            if (!quoted && text.length() > 1 && (text.charAt(0) == '>' || text.charAt(0) == '<')) {
                // query_string's `field:>10`, `field:<=10`
                boolean incl = text.length() > 2 && text.charAt(1) == '=';
                String v = text.substring(incl ? 2 : 1);
                return text.charAt(0) == '>' ? getRangeQuery(field, v, null, incl, true)
                                             : getRangeQuery(field, null, v, true, incl);
            }
            char t = type(field);
            if (t == 'i') return ipTermQuery(field, text);
            try {
                if (t == 'l') return LongPoint.newExactQuery(field, Long.parseLong(text.trim()));
                if (t == 'd') return DoublePoint.newExactQuery(field, Double.parseDouble(text.trim()));
                if (t == 'f') return FloatPoint.newExactQuery(field, Float.parseFloat(text.trim()));
            } catch (NumberFormatException e) {
                throw new ParseException("failed to create query: '" + text + "' is not a number for field " + field);
            }
            Query q = super.getFieldQuery(field, text, quoted);
            // a text with no words (only separators) matches nothing, as Elasticsearch's match queries
            return q == null && (t == 't' || t == 'p') ? new MatchNoDocsQuery() : q;
        }

        @Override
        protected Query getRangeQuery(String field, String low, String high, boolean loIncl, boolean hiIncl)
                throws ParseException {
            if (ALL.equals(field)) {
                return everyField(f -> getRangeQuery(f, low, high, loIncl, hiIncl));
            }
            String lo = low, hi = high;
            if (lo != null && lo.equals("*")) lo = null;
            if (hi != null && hi.equals("*")) hi = null;
            char t = type(field);
            try {
                if (t == 'l') {
                    long a = lo == null ? Long.MIN_VALUE : Long.parseLong(lo);
                    long z = hi == null ? Long.MAX_VALUE : Long.parseLong(hi);
                    if (lo != null && !loIncl) a = Math.addExact(a, 1);
                    if (hi != null && !hiIncl) z = Math.addExact(z, -1);
                    return LongPoint.newRangeQuery(field, a, z);
                }
                if (t == 'd') {
                    double a = lo == null ? Double.NEGATIVE_INFINITY : Double.parseDouble(lo);
                    double z = hi == null ? Double.POSITIVE_INFINITY : Double.parseDouble(hi);
                    if (lo != null && !loIncl) a = DoublePoint.nextUp(a);
                    if (hi != null && !hiIncl) z = DoublePoint.nextDown(z);
                    return DoublePoint.newRangeQuery(field, a, z);
                }
                if (t == 'f') {
                    float a = lo == null ? Float.NEGATIVE_INFINITY : Float.parseFloat(lo);
                    float z = hi == null ? Float.POSITIVE_INFINITY : Float.parseFloat(hi);
                    if (lo != null && !loIncl) a = FloatPoint.nextUp(a);
                    if (hi != null && !hiIncl) z = FloatPoint.nextDown(z);
                    return FloatPoint.newRangeQuery(field, a, z);
                }
                if (t == 'i') {
                    InetAddress a = lo == null ? InetAddressPoint.MIN_VALUE : ipAddress(lo);
                    InetAddress z = hi == null ? InetAddressPoint.MAX_VALUE : ipAddress(hi);
                    if (lo != null && !loIncl) {
                        if (a.equals(InetAddressPoint.MAX_VALUE)) return new MatchNoDocsQuery();
                        a = InetAddressPoint.nextUp(a);
                    }
                    if (hi != null && !hiIncl) {
                        if (z.equals(InetAddressPoint.MIN_VALUE)) return new MatchNoDocsQuery();
                        z = InetAddressPoint.nextDown(z);
                    }
                    return InetAddressPoint.newRangeQuery(field, a, z);
                }
            } catch (NumberFormatException | ArithmeticException e) {
                throw new ParseException("failed to create range query on numeric field " + field);
            } catch (IllegalArgumentException e) {
                throw new ParseException("failed to create range query on ip field " + field + ": " + e.getMessage());
            }
            return super.getRangeQuery(field, lo, hi, loIncl, hiIncl);
        }

        /** Elasticsearch's term query on an ip field: an address, or a CIDR block `addr/prefix`. */
        static Query ipTermQuery(String field, String text) throws ParseException {
            String term = text.trim();
            try {
                int slash = term.indexOf('/');
                if (slash < 0) return InetAddressPoint.newExactQuery(field, ipAddress(term));
                InetAddress address = ipAddress(term.substring(0, slash));
                int bits = Integer.parseInt(term.substring(slash + 1));
                int max = address.getAddress().length * 8;
                if (bits < 0 || bits > max) {
                    throw new IllegalArgumentException("illegal prefix length " + bits + " in '" + term + "'");
                }
                return InetAddressPoint.newPrefixQuery(field, address, bits);
            } catch (IllegalArgumentException e) { // also NumberFormatException
                throw new ParseException("failed to create query on ip field " + field + ": " + e.getMessage());
            }
        }

        Query keywordOnly(String field, String what) throws ParseException {
            char t = type(field);
            if (t != 'k' && t != 't' && t != 'p') {
                throw new ParseException("can only use " + what + " queries on keyword and text fields - not on [" + field + "]");
            }
            return null;
        }

        @Override
        protected Query getWildcardQuery(String field, String term) throws ParseException {
            if ("_exists_".equals(field)) {
                throw new ParseException("_exists_ with a wildcard field name is not supported");
            }
            if (ALL.equals(field)) {
                if ("*".equals(term)) return new MatchAllDocsQuery();
                return everyField(f -> getWildcardQuery(f, term));
            }
            if ("*".equals(term)) {
                return new TermQuery(new Term(FIELD_NAMES, field)); // query_string: `field:*` is exists
            }
            keywordOnly(field, "wildcard");
            return super.getWildcardQuery(field, term);
        }

        @Override
        protected Query getPrefixQuery(String field, String term) throws ParseException {
            if (ALL.equals(field)) return everyField(f -> getPrefixQuery(f, term));
            keywordOnly(field, "prefix");
            return super.getPrefixQuery(field, term);
        }

        @Override
        protected Query getRegexpQuery(String field, String term) throws ParseException {
            if (ALL.equals(field)) return everyField(f -> getRegexpQuery(f, term));
            keywordOnly(field, "regexp");
            return super.getRegexpQuery(field, term);
        }

        @Override
        protected Query getFuzzyQuery(String field, String term, float sim) throws ParseException {
            if (ALL.equals(field)) return everyField(f -> getFuzzyQuery(f, term, sim));
            keywordOnly(field, "fuzzy");
            return super.getFuzzyQuery(field, term, sim);
        }

        /** A clause list of only negations matches "everything but" (Elasticsearch adds match_all). */
        @Override
        protected Query getBooleanQuery(List<BooleanClause> clauses) throws ParseException {
            Query q = super.getBooleanQuery(clauses);
            if (!(q instanceof BooleanQuery)) return q;
            BooleanQuery bq = (BooleanQuery) q;
            for (BooleanClause c : bq.clauses()) {
                if (c.getOccur() != BooleanClause.Occur.MUST_NOT) return q;
            }
            if (bq.clauses().isEmpty()) return q;
            BooleanQuery.Builder b = new BooleanQuery.Builder();
            for (BooleanClause c : bq.clauses()) b.add(c);
            b.add(new MatchAllDocsQuery(), BooleanClause.Occur.FILTER);
            return b.build();
        }
    }

    /** An IP address literal (IPv4 dotted quad or IPv6), never a host name: nothing is looked up. */
    static InetAddress ipAddress(String text) {
        boolean v6 = text.indexOf(':') >= 0;
        if (!v6 && !text.matches("(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}")) {
            throw new IllegalArgumentException("'" + text + "' is not an IP string literal");
        }
        try {
            return InetAddress.getByName(v6 && !text.startsWith("[") ? "[" + text + "]" : text);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("'" + text + "' is not an IP string literal");
        }
    }

    static String unescape(String s) {
        if (s.indexOf('\\') < 0) return s;
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 1 < s.length()) {
                char n = s.charAt(++i);
                b.append(n == 't' ? '\t' : n == 'n' ? '\n' : n == 'r' ? '\r' : n);
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    // Elasticsearch 8 sets Lucene's clause limit from the node (search.SearchUtils: heap MB * 64 /
    // search threads, at least 1024: 16,384 for a 1 GB heap and 2 processors; the 8.0 default was
    // 4096). The column models a node with a 1 GB heap and 10 processors: 65,536 / 16 threads.
    static final int MAX_CLAUSE_COUNT = 4096;

    public static void main(String[] args) throws Exception {
        IndexSearcher.setMaxClauseCount(MAX_CLAUSE_COUNT);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8), 1 << 16);
        BufferedWriter out = new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8));
        String line = in.readLine();
        if ("LEAVES".equals(line)) {
            leaves(in);
            return;
        }
        if ("SERVE".equals(line)) {
            // one JVM for many batches: each batch's events end with END, its answers with DONE
            for (line = in.readLine(); line != null; line = in.readLine()) {
                batch(in, line, out, true);
                out.write("DONE\n");
                out.flush();
            }
            return;
        }
        batch(in, line, out, false);
    }

    /** One batch: queries, the events (until END in serve mode, else end of input), then one answer per query. */
    static void batch(BufferedReader in, String line, BufferedWriter out, boolean serve) throws Exception {
        List<String> queries = new ArrayList<>();
        while (line != null && line.startsWith("Q\t")) {
            queries.add(unescape(line.substring(2)));
            line = in.readLine();
        }
        if (queries.isEmpty()) {
            System.err.println("ERROR\tprotocol: the first lines must carry the queries");
            System.exit(3);
        }
        if (line != null && line.equals("?")) {
            // The caller asks which fields the queries read, to send only those.
            out.write(fieldsLine(queries));
            out.flush();
            line = in.readLine();
        }

        Map<String, Character> types = new HashMap<>();
        Analyzer analyzer = new KeywordFields(types);
        ByteBuffersDirectory dir = new ByteBuffersDirectory();
        IndexWriterConfig cfg = new IndexWriterConfig(analyzer);
        cfg.setRAMBufferSizeMB(256);
        IndexWriter writer = new IndexWriter(dir, cfg);

        Document doc = new Document();
        TreeSet<String> present = new TreeSet<>();
        long index = 0;
        for (; line != null && !(serve && line.equals("END")); line = in.readLine()) {
            if (line.equals(".")) {
                for (String f : present) doc.add(new StringField(FIELD_NAMES, f, Field.Store.NO));
                doc.add(new NumericDocValuesField(INDEX, index++));
                writer.addDocument(doc);
                doc = new Document();
                present.clear();
                continue;
            }
            String[] parts = line.split("\t", 4);
            if (parts.length != 4 || !parts[0].equals("F")) {
                System.err.println("ERROR\tprotocol: bad line " + line);
                System.exit(3);
            }
            String field = unescape(parts[1]);
            char t = parts[2].charAt(0);
            String value = unescape(parts[3]);
            Character known = types.putIfAbsent(field, t);
            if (known != null && known != t) {
                System.err.println("ERROR\tprotocol: field " + field + " holds values of two types");
                System.exit(3);
            }
            present.add(field);
            if (t == 'l') {
                doc.add(new LongPoint(field, Long.parseLong(value)));
            } else if (t == 'd') {
                doc.add(new DoublePoint(field, Double.parseDouble(value)));
            } else if (t == 'f') {
                doc.add(new FloatPoint(field, Float.parseFloat(value)));
            } else if (t == 'i') {
                doc.add(new InetAddressPoint(field, ipAddress(value)));
            } else if (t == 't' || t == 'p') {
                doc.add(new TextField(field, value, Field.Store.NO));  // words, with positions (phrases)
            } else {
                // tokenized by the keyword analyzer: one whole token, lower-cased for .caseless
                doc.add(new Field(field, value, keywordType()));
            }
        }
        writer.close();

        DirectoryReader reader = DirectoryReader.open(dir);
        IndexSearcher searcher = new IndexSearcher(reader);
        // one answer line per query, in order: "H<TAB>i,j,k" (hits) or "E<TAB>message"
        for (String queryText : queries) {
            Query query;
            try {
                query = new Parser(analyzer, types).parse(queryText);
            } catch (ParseException | RuntimeException e) {
                String msg = String.valueOf(e.getMessage()).replace('\n', ' ').replace('\r', ' ');
                out.write("E\t" + msg + "\n");
                continue;
            }
            List<Long> hits = new ArrayList<>();
            searcher.search(query, new SimpleCollector() {
                NumericDocValues idx;

                @Override
                protected void doSetNextReader(LeafReaderContext ctx) throws java.io.IOException {
                    idx = ctx.reader().getNumericDocValues(INDEX);
                }

                @Override
                public void collect(int docId) throws java.io.IOException {
                    idx.advanceExact(docId);
                    hits.add(idx.longValue());
                }

                @Override
                public ScoreMode scoreMode() {
                    return ScoreMode.COMPLETE_NO_SCORES;
                }
            });
            hits.sort(null);
            StringBuilder b = new StringBuilder("H\t");
            for (int i = 0; i < hits.size(); i++) {
                if (i > 0) b.append(',');
                b.append(hits.get(i));
            }
            out.write(b.append('\n').toString());
        }
        out.flush();
        reader.close();
    }

    // --- leaf mode ----------------------------------------------------------

    static final String LEAF_FIELD = "v";

    /** The other case of an ASCII letter joined to it, as Elasticsearch folds one code point. */
    static Automaton foldedChar(int cp) {
        Automaton one = Automata.makeChar(cp);
        if (cp > 128) return one;
        int other = Character.isLowerCase(cp) ? Character.toUpperCase(cp) : Character.toLowerCase(cp);
        return other == cp ? one : Operations.union(one, Automata.makeChar(other));
    }

    static Automaton caseInsensitiveTerm(String text) {
        List<Automaton> parts = new ArrayList<>();
        text.codePoints().forEach(cp -> parts.add(foldedChar(cp)));
        return Operations.concatenate(parts);
    }

    static Automaton caseInsensitiveWildcard(String text) {
        List<Automaton> parts = new ArrayList<>();
        for (int i = 0; i < text.length();) {
            int cp = text.codePointAt(i);
            int n = Character.charCount(cp);
            if (cp == '*') {
                parts.add(Automata.makeAnyString());
            } else if (cp == '?') {
                parts.add(Automata.makeAnyChar());
            } else if (cp == '\\' && i + n < text.length()) {
                int next = text.codePointAt(i + n);
                n += Character.charCount(next);
                parts.add(Automata.makeChar(next));
            } else {
                parts.add(foldedChar(cp));
            }
            i += n;
        }
        return Operations.concatenate(parts);
    }

    /** What the query tests each term with (AutomatonQuery compiles its automaton the same way). */
    static CompiledAutomaton compiled(AutomatonQuery q) {
        return new CompiledAutomaton(q.getAutomaton(), null, true, Operations.DEFAULT_DETERMINIZE_WORK_LIMIT,
                                     q.isAutomatonBinary());
    }

    static CompiledAutomaton leafQuery(String kind, boolean ci, String pattern) {
        Term term = new Term(LEAF_FIELD, pattern);
        switch (kind) {
            case "term":
                return ci ? compiled(new AutomatonQuery(term, caseInsensitiveTerm(pattern)))
                          : new CompiledAutomaton(Automata.makeString(pattern));
            case "wildcard":
                return compiled(ci ? new AutomatonQuery(term, caseInsensitiveWildcard(pattern)) : new WildcardQuery(term));
            case "regexp":
                return compiled(new RegexpQuery(term, RegExp.ALL, ci ? RegExp.ASCII_CASE_INSENSITIVE : 0,
                                                Operations.DEFAULT_DETERMINIZE_WORK_LIMIT));
            default:
                throw new IllegalArgumentException("unknown leaf kind " + kind);
        }
    }

    static boolean accepts(CompiledAutomaton c, BytesRef value) {
        switch (c.type) {
            case NONE: return false;
            case ALL: return true;
            case SINGLE: return c.term.bytesEquals(value);
            default: return c.runAutomaton.run(value.bytes, value.offset, value.length);
        }
    }

    static void leaves(BufferedReader in) throws java.io.IOException {
        BufferedWriter out = new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), 1 << 16);
        CompiledAutomaton current = null;
        String error = null;
        StringBuilder answer = null;
        for (String line = in.readLine(); ; line = in.readLine()) {
            if (line == null || line.startsWith("P\t")) {
                if (answer != null) out.write(error != null ? "E\t" + error + "\n" : answer.append('\n').toString());
                if (line == null) break;
                String[] parts = line.split("\t", 4);
                answer = new StringBuilder("R\t");
                error = null;
                try {
                    current = leafQuery(parts[1], parts[2].equals("1"), unescape(parts[3]));
                } catch (RuntimeException e) {
                    current = null;
                    error = String.valueOf(e.getMessage()).replace('\n', ' ').replace('\r', ' ');
                }
            } else if (line.startsWith("V\t") && answer != null) {
                if (current != null) answer.append(accepts(current, new BytesRef(unescape(line.substring(2)))) ? '1' : '0');
            } else {
                System.err.println("ERROR\tprotocol: bad leaf line " + line);
                System.exit(3);
            }
        }
        out.flush();
    }

    /** "FIELDS<TAB>f1<TAB>f2..." for the fields the queries read, or "FIELDS<TAB>*" for all of them. */
    static String fieldsLine(List<String> queries) {
        TreeSet<String> fields = new TreeSet<>();
        boolean all = false;
        for (String text : queries) {
            // typed as keywords: the types are not known yet, and do not change which fields a query reads
            Parser parser = new Parser(new KeywordFields(), new HashMap<>());
            Query q;
            try {
                q = parser.parse(text);
            } catch (ParseException | RuntimeException e) {
                continue; // reported when the query runs
            }
            all |= parser.usedEveryField;
            q.visit(new QueryVisitor() {
                @Override
                public boolean acceptField(String field) {
                    if (!FIELD_NAMES.equals(field)) fields.add(field);
                    return true;
                }

                @Override
                public void consumeTerms(Query query, Term... terms) {
                    for (Term t : terms) {
                        if (FIELD_NAMES.equals(t.field())) fields.add(t.text()); // _exists_:f reads f
                    }
                }

                @Override
                public QueryVisitor getSubVisitor(BooleanClause.Occur occur, Query parent) {
                    return this;
                }
            });
        }
        StringBuilder b = new StringBuilder("FIELDS");
        if (all) {
            b.append("\t*");
        } else {
            for (String f : fields) b.append('\t').append(escape(f));
        }
        return b.append('\n').toString();
    }

    static String escape(String s) {
        return s.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r");
    }

    static org.apache.lucene.document.FieldType KEYWORD;

    /** Indexed, tokenized (by the keyword analyzer), docs only, no norms: a keyword field. */
    static org.apache.lucene.document.FieldType keywordType() {
        if (KEYWORD == null) {
            org.apache.lucene.document.FieldType t = new org.apache.lucene.document.FieldType();
            t.setIndexOptions(org.apache.lucene.index.IndexOptions.DOCS);
            t.setTokenized(true);
            t.setOmitNorms(true);
            t.setStored(false);
            t.freeze();
            KEYWORD = t;
        }
        return KEYWORD;
    }
}
