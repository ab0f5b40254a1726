"""Lucene query strings, run by the real Lucene engine through a small JVM helper.

    executor     the adapter: finds the jars, compiles and caches the helper, streams events
    helper/      RuleportLucene.java, the batch helper the adapter runs
"""
