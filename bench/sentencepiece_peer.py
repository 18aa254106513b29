#!/usr/bin/env python3
"""The Python peer of `setformer bench text` (src/setformer/bench/text_bench.h).

What a Python user would otherwise run to tokenize: the `sentencepiece` package (Debian's
python3-sentencepiece, the same library as setformer's) encoding each text with the same
`.model`, one call per text. Prints one JSON line: the tokens and the seconds the encoding took.

    /usr/bin/python3 bench/sentencepiece_peer.py --model tok.model --texts texts.jsonl
"""
import argparse
import json
import time

import sentencepiece as spm


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="a SentencePiece .model file")
    parser.add_argument("--texts", required=True, help="JSONL, one string per line")
    args = parser.parse_args()
    sp = spm.SentencePieceProcessor(model_file=args.model)
    with open(args.texts, encoding="utf-8") as f:
        texts = [json.loads(line) for line in f]
    start = time.perf_counter()
    tokens = sum(len(sp.encode(t)) for t in texts)
    seconds = time.perf_counter() - start
    print(json.dumps({"tokens": tokens, "seconds": seconds}))


if __name__ == "__main__":
    main()
