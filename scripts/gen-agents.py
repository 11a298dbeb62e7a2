#!/usr/bin/env python3
"""Regenerate src/agents/registry.json from the community list ai-robots-txt's
robots.json (../shared/data/ai-robots-txt/robots.json by default).

Only facts are taken over: each name and the plain-text name of its operator.
The purpose of every agent is optout's own classification: the community
list's `function` field is free text, so the table below maps its categories,
and overrides name the agents whose purpose is known from vendor documentation
(design/SIGNALS.md §3.2). Run it, review the diff, bump VERSION.

    python3 scripts/gen-agents.py [path/to/robots.json] > src/agents/registry.json
"""
import json
import re
import sys

VERSION = "2026.11.23"
SOURCE_COMMIT = "738c80d"  # ai-robots-txt/ai.robots.txt snapshot of 2026-08-22

# Known-Agents categories used by the community list -> optout purpose.
CATEGORY = {
    "AI Data Scrapers": "train",
    "AI data scraper": "train",
    "AI Data Providers": "search",
    "Undocumented AI Agents": "train",
    "AI Search Crawlers": "search",
    "AI Assistants": "user-fetch",
    "AI Agents": "user-fetch",
    "AI Coding Agents": "user-fetch",
}

# Vendor documentation and explicit statements win over categories.
# (name, purpose, basis)
OVERRIDES = {
    # Control tokens: send no requests; other crawlers read their group to
    # decide whether fetched content may train models.
    "Google-Extended": ("control-only", "controls Gemini/Vertex AI training use of Googlebot-crawled content"),
    "Applebot-Extended": ("control-only", "controls Apple foundation-model training use of Applebot-crawled content"),
    "Webzio-Extended": ("control-only", "controls AI-training use of Webz.io data"),
    # Training crawlers named in vendor documentation or the list's own text.
    "GPTBot": ("train", "OpenAI training crawler"),
    "ClaudeBot": ("train", "Anthropic training crawler"),
    "anthropic-ai": ("train", "retired Anthropic token that ClaudeBot still honours"),
    "Claude-Web": ("train", "retired Anthropic token that ClaudeBot still honours"),
    "CCBot": ("train", "Common Crawl's open corpus, a common training source"),
    "Diffbot": ("train", "data provider whose data is used at its customers' discretion"),
    "Brightbot": ("train", "Bright Data crawler; the list says data feeds LLM training"),
    "Crawlspace": ("train", "data provider for AI datasets"),
    "Lightpanda": ("train", "listed as an AI data scraper"),
    "YouBot": ("train", "scrapes for search and LLMs"),
    "facebookexternalhit": ("user-fetch", "link-preview fetcher; the list suspects AI use"),
    "meta-webindexer": ("search", "Meta AI search index"),
    "iaskspider/2.0": ("search", "answers user queries from an index"),
    "atlassian-bot": ("search", "AI search and assistants"),
    "Amazonbot": ("search", "answers for Alexa users"),
    "PetalBot": ("search", "Huawei assistant and AI search"),
    "FirecrawlAgent": ("user-fetch", "scrapes pages on a customer's request"),
    "ApifyBot": ("user-fetch", "scrapes pages on a customer's request"),
    "ApifyWebsiteContentCrawler": ("user-fetch", "scrapes pages on a customer's request"),
    "Mozilla-Tabstack": ("user-fetch", "fetches pages for AI agents on request"),
    "cohere-ai": ("user-fetch", "retrieval for user prompts"),
    "Google-CloudVertexBot": ("user-fetch", "crawls requested by site owners for Vertex AI agents"),
    "Google-Firebase": ("user-fetch", "fetches for apps built on Firebase AI"),
    "SemrushBot-SWA": ("user-fetch", "checks pages on a customer's request"),
    "SemrushBot-OCOB": ("user-fetch", "crawls for a customer's content tool"),
    "QuillBot": ("user-fetch", "writing and detection tools fetch on request"),
    "quillbot.com": ("user-fetch", "writing and detection tools fetch on request"),
    "wpbot": ("user-fetch", "chat support fetches on request"),
    "BuddyBot": ("user-fetch", "learning companion fetches on request"),
}

# Free-text functions: first matching pattern wins.
TEXT_RULES = [
    (r"train|LLM|language model|machine learning|dataset|data set|AI model|AI development|scrap", "train"),
    (r"search|answers|index", "search"),
    (r"user|prompt|request", "user-fetch"),
]


def operator(text):
    text = text.strip()
    if not text or text.lower().startswith(("unclear", "unknown", "anyone")):
        return None
    m = re.match(r"\[([^\]]+)\]\(", text)
    if m:
        return m.group(1)
    if text.startswith("http"):
        return re.sub(r"^https?://", "", text).split("/")[0]
    # Plain text: keep the first clause (the company name).
    name = re.split(r",| \(| that | used | which | to | for | a company", text)[0]
    name = re.sub(r"^the .* company ", "", name).strip().rstrip(".")
    return name or None


# Vendors known from their agents' names, for entries whose operator field
# is empty or unclear.
VENDOR_PREFIXES = [
    ("google", "Google"), ("applebot", "Apple"), ("claude", "Anthropic"),
    ("anthropic", "Anthropic"), ("amzn", "Amazon"), ("amazon", "Amazon"),
    ("meta-", "Meta"), ("perplexity", "Perplexity"), ("chatgpt", "OpenAI"),
    ("oai-", "OpenAI"), ("mistralai", "Mistral AI"), ("ai2bot", "Ai2"),
    ("iask", "iAsk"), ("webzio", "Webz.io"),
]


def vendor(name, text):
    found = operator(text)
    if found:
        return found
    lower = name.lower()
    for prefix, vendor_name in VENDOR_PREFIXES:
        if lower.startswith(prefix):
            return vendor_name
    return None


def key(name):
    return name.split("/")[0].strip().lower()


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else "../shared/data/ai-robots-txt/robots.json"
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    agents, seen = [], {}
    for name, entry in data.items():
        k = key(name)
        if k in seen:  # case duplicates match the same groups
            continue
        seen[k] = name
        if name in OVERRIDES:
            purpose, basis = OVERRIDES[name]
        elif entry["function"] in CATEGORY:
            purpose = CATEGORY[entry["function"]]
            basis = "category: " + entry["function"]
        else:
            purpose = "train"
            basis = "unclassified: treated as training"
            for pattern, p in TEXT_RULES:
                if re.search(pattern, entry["function"], re.I):
                    purpose, basis = p, "function text"
                    break
        agent = {"name": name, "operator": vendor(name, entry["operator"]), "purpose": purpose}
        if purpose == "control-only":
            agent["controls"] = ["train"]
        agent["basis"] = basis
        agents.append(agent)
    agents.sort(key=lambda a: a["name"].lower())
    out = {
        "version": VERSION,
        "source": f"ai-robots-txt/ai.robots.txt robots.json @ {SOURCE_COMMIT}, classified by optout",
        "agents": agents,
    }
    json.dump(out, sys.stdout, indent=1, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
