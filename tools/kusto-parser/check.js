// Check Kusto queries with Microsoft's own parser and semantic analyser
// (Kusto.Language, published on npm as @kusto/language-service-next).
//
// stdin: one JSON object per line, {"query": "...", "tables": {"T": {"col": "string", ...}}}
//        ("tables" optional: without it only syntax is checked, unknown names are not errors)
// stdout: one JSON object per line, {"diagnostics": [{"severity", "code", "message", "start", "length"}]}
"use strict";
require("@kusto/language-service-next/bridge.js");
require("@kusto/language-service-next/Kusto.Language.Bridge.js");
const readline = require("readline");

const K = global.Kusto.Language;

function globalsFor(tables) {
    const symbols = Object.entries(tables).map(([name, columns]) => {
        const schema = "(" + Object.entries(columns).map(([c, t]) => `['${c}']:${t}`).join(", ") + ")";
        return new K.Symbols.TableSymbol.$ctor7(name, schema, null);
    });
    const db = new K.Symbols.DatabaseSymbol.$ctor2("db", null, symbols);
    return K.GlobalState.Default.WithDatabase(db);
}

function check(request) {
    const code = request.tables
        ? K.KustoCode.ParseAndAnalyze(request.query, globalsFor(request.tables))
        : K.KustoCode.Parse(request.query);
    const list = code.GetDiagnostics();
    const out = [];
    for (let i = 0; i < list.Count; i++) {
        const d = list.getItem(i);
        out.push({ severity: d.Severity, code: d.Code, message: d.Message, start: d.Start, length: d.Length });
    }
    return { diagnostics: out };
}

const rl = readline.createInterface({ input: process.stdin, terminal: false });
rl.on("line", (line) => {
    if (!line.trim()) return;
    let reply;
    try {
        reply = check(JSON.parse(line));
    } catch (e) {
        reply = { error: String(e && e.message ? e.message : e) };
    }
    process.stdout.write(JSON.stringify(reply) + "\n");
});
