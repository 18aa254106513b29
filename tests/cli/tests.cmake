# The command-line tool, end to end. Included from the top-level CMakeLists.txt.
set(CLI_OUT ${CMAKE_BINARY_DIR}/cli-test)
set(FIXTURES ${PROJECT_SOURCE_DIR}/tests/fixtures)
set(EXPECT_ERROR ${PROJECT_SOURCE_DIR}/tests/cli/expect_error.sh)

add_test(NAME cli.help COMMAND setformer --help)
add_test(NAME cli.version COMMAND setformer version)
add_test(NAME cli.info_miny COMMAND setformer info --model setformer-miny)
add_test(NAME cli.info_transformer_base COMMAND setformer info --model transformer-base)
set_tests_properties(cli.info_transformer_base PROPERTIES PASS_REGULAR_EXPRESSION "parameters: 63\\.[0-9]+ M")
set_tests_properties(cli.info_miny PROPERTIES PASS_REGULAR_EXPRESSION
                     "parameters: 16.98 M.*FLOPs: 2.43 G.*\\| 4 +\\| 7x7 ")
# The same counts as the training summary's (results/fashion_mnist/set/summary.json: 6.59 M).
add_test(NAME cli.info_fmnist COMMAND setformer info --model setformer-fmnist --image-size 28
                                      --classes 10 --channels 1)
set_tests_properties(cli.info_fmnist PROPERTIES PASS_REGULAR_EXPRESSION
                     "parameters: 0.67 M.*FLOPs: 6\\.59 M.*\\| 1 +\\| 7x7 ")

# bench attention: every output file is written.
add_test(NAME cli.bench_attention_quick
         COMMAND setformer bench attention --lengths 64,128 --reps 2 --warmup 0 --dim 32
                 --heads 2 --m 8 --out ${CLI_OUT}/bench)
set_tests_properties(cli.bench_attention_quick PROPERTIES FIXTURES_SETUP bench_outputs)
foreach(ext md csv json png)
  add_test(NAME cli.bench_attention_writes_${ext} COMMAND ${CMAKE_COMMAND} -E cat ${CLI_OUT}/bench.${ext})
  set_tests_properties(cli.bench_attention_writes_${ext} PROPERTIES FIXTURES_REQUIRED bench_outputs)
endforeach()
set_tests_properties(cli.bench_attention_writes_json PROPERTIES PASS_REGULAR_EXPRESSION "\"crossover_n\"")

# bench train: one row per variant, each against the reference path.
add_test(NAME cli.bench_train_quick
         COMMAND setformer bench train --config ${FIXTURES}/tiny_train.toml --variants
                 fused,implicit,reference --steps 1 --rounds 1 --warmup-steps 1
                 --table ${CLI_OUT}/bench_train)
set_tests_properties(cli.bench_train_quick PROPERTIES PASS_REGULAR_EXPRESSION
                     "\\| fused +\\| [0-9]+ .*[0-9.]+x .*\n\\| implicit +\\| [0-9]+ .*\n\\| reference +\\| [0-9]+ .*1\\.00x.*bench_train.json")

# train, eval and predict on a subset of Fashion-MNIST with a tiny model.
add_test(NAME cli.train_tiny
         COMMAND setformer train --config ${FIXTURES}/tiny_train.toml --out ${CLI_OUT}/train)
set_tests_properties(cli.train_tiny PROPERTIES FIXTURES_SETUP trained PASS_REGULAR_EXPRESSION
                     "test accuracy: 0\\.[0-9]+ on 200 images.*training time")
foreach(file checkpoint.pt log.jsonl curves.png confusion.png confusion.txt summary.json)
  add_test(NAME cli.train_writes_${file} COMMAND ${CMAKE_COMMAND} -E cat ${CLI_OUT}/train/${file})
  set_tests_properties(cli.train_writes_${file} PROPERTIES FIXTURES_REQUIRED trained)
endforeach()
add_test(NAME cli.eval_checkpoint
         COMMAND setformer eval --checkpoint ${CLI_OUT}/train/checkpoint.pt --limit 200 --threads 1
                 --out ${CLI_OUT}/eval)
set_tests_properties(cli.eval_checkpoint PROPERTIES FIXTURES_REQUIRED trained
                     PASS_REGULAR_EXPRESSION "accuracy: 0\\.[0-9]+ .*images/s.*Ankle boot.*eval.json")
add_test(NAME cli.predict_images
         COMMAND setformer predict --checkpoint ${CLI_OUT}/train/checkpoint.pt --top 2
                 ${FIXTURES}/ankle_boot.pgm ${FIXTURES}/pullover.pgm)
set_tests_properties(cli.predict_images PROPERTIES FIXTURES_REQUIRED trained PASS_REGULAR_EXPRESSION
                     "ankle_boot.pgm:  [A-Za-z/ -]+ 0\\.[0-9][0-9][0-9]  [A-Za-z/ -]+ 0\\.[0-9]+\n.*pullover.pgm:")
add_test(NAME cli.train_interrupt_and_resume
         COMMAND ${PROJECT_SOURCE_DIR}/tests/cli/interrupt_resume.sh $<TARGET_FILE:setformer>
                 ${FIXTURES}/tiny_train.toml ${CLI_OUT}/resume)
# The same with two batch shards in parallel threads: still a function of the seed.
add_test(NAME cli.train_interrupt_and_resume_batch_shards
         COMMAND ${PROJECT_SOURCE_DIR}/tests/cli/interrupt_resume.sh $<TARGET_FILE:setformer>
                 ${FIXTURES}/tiny_train.toml ${CLI_OUT}/resume_shards --threads 2 --parallel batch)
# SIGTERM, as a scheduler or a session's end sends it, saves the exact step as Ctrl-C does.
add_test(NAME cli.train_terminate_and_resume
         COMMAND ${PROJECT_SOURCE_DIR}/tests/cli/interrupt_resume.sh $<TARGET_FILE:setformer>
                 ${FIXTURES}/tiny_train.toml ${CLI_OUT}/terminate)
set_tests_properties(cli.train_terminate_and_resume PROPERTIES ENVIRONMENT SIGNAL=TERM)
add_test(NAME cli.eval_checkpoint_batch_shards
         COMMAND setformer eval --checkpoint ${CLI_OUT}/train/checkpoint.pt --limit 200 --threads 2
                 --out ${CLI_OUT}/eval_shards)
set_tests_properties(cli.eval_checkpoint_batch_shards PROPERTIES FIXTURES_REQUIRED trained
                     PASS_REGULAR_EXPRESSION "images/s \\(2 thread\\(s\\), parallel batch, cpu\\)")
# bench infer: a configuration row (initial weights) beside a checkpoint row (trained weights),
# and the configuration again, whose row needs a name of its own.
add_test(NAME cli.bench_infer_rows
         COMMAND setformer bench infer ${FIXTURES}/tiny_train.toml ${CLI_OUT}/train/checkpoint.pt
                 ${FIXTURES}/tiny_train.toml --batch 16 --batches 1 --rounds 2 --threads 2
                 --table ${CLI_OUT}/bench_infer)
set_tests_properties(cli.bench_infer_rows PROPERTIES FIXTURES_REQUIRED trained PASS_REGULAR_EXPRESSION
                     "\\| tiny_train +\\| set +\\| initial +\\| [0-9.]+ M .*1\\.00x.*\n\\| train +\\| set +\\| trained .*[0-9.]+x.*\n\\| tiny_train-2 +\\| set +\\| initial .*bench_infer.json")

# sets train and sets table: a short clustering row and its table beside the paper's figures.
add_test(NAME cli.sets_train_quick
         COMMAND setformer sets train --task clustering --row "ISAB (16) + PMA" --encoder isab,isab
                 --decoder-sabs 1 --dim 16 --min-size 20 --max-size 30 --steps 20 --batch-size 4
                 --test-sets 20 --threads 1 --out ${CLI_OUT}/sets)
set_tests_properties(cli.sets_train_quick PROPERTIES FIXTURES_SETUP sets_trained
                     PASS_REGULAR_EXPRESSION "oracle_ll: -1\\.[0-9]+.*test_ll0: -[0-9.]+.*test_ll1.*summary.json")
add_test(NAME cli.sets_table
         COMMAND setformer sets table --out ${CLI_OUT}/sets_table ${CLI_OUT}/sets/summary.json)
set_tests_properties(cli.sets_table PROPERTIES FIXTURES_REQUIRED sets_trained
                     PASS_REGULAR_EXPRESSION "\\| Oracle \\(true parameters\\) +\\| -1\\.[0-9]+ .*\\| -1\\.4726 .*\\| ISAB \\(16\\) \\+ PMA +\\| .*-1\\.5009")
add_test(NAME cli.sets_resume
         COMMAND setformer sets train --task clustering --row "ISAB (16) + PMA" --encoder isab,isab
                 --decoder-sabs 1 --dim 16 --min-size 20 --max-size 30 --steps 30 --batch-size 4
                 --test-sets 20 --threads 1 --out ${CLI_OUT}/sets --resume)
set_tests_properties(cli.sets_resume PROPERTIES FIXTURES_REQUIRED sets_trained
                     PASS_REGULAR_EXPRESSION "test_ll0")

# slots train and slots table: a short object-discovery row and its table beside the paper's.
add_test(NAME cli.slots_train_quick
         COMMAND setformer slots train --row "Slot Attention" --dataset tetrominoes --channels 8
                 --slot-dim 16 --decoder-channels 8 --decoder-layers 1 --steps 4 --warmup-steps 1
                 --batch-size 4 --test-images 8 --threads 1 --out ${CLI_OUT}/slots)
set_tests_properties(cli.slots_train_quick PROPERTIES FIXTURES_SETUP slots_trained
                     PASS_REGULAR_EXPRESSION "test_ari: -?[0-9.]+.*test_mse: [0-9.]+.*summary.json")
add_test(NAME cli.slots_table
         COMMAND setformer slots table --out ${CLI_OUT}/slots_table ${CLI_OUT}/slots/summary.json)
add_test(NAME cli.slots_eval_more_slots
         COMMAND setformer slots eval --checkpoint ${CLI_OUT}/slots/checkpoint.pt --test-slots 6
                 --test-iterations 5 --row "Slot Attention, K = 6, T = 5" --out ${CLI_OUT}/slots_k6)
set_tests_properties(cli.slots_eval_more_slots PROPERTIES FIXTURES_REQUIRED slots_trained
                     FIXTURES_SETUP slots_evaluated
                     PASS_REGULAR_EXPRESSION "K = 6, T = 5.*test_ari: -?[0-9.]+.*summary.json")
add_test(NAME cli.slots_table_with_eval
         COMMAND setformer slots table --out ${CLI_OUT}/slots_table2 ${CLI_OUT}/slots/summary.json
                 ${CLI_OUT}/slots_k6/summary.json)
set_tests_properties(cli.slots_table_with_eval PROPERTIES FIXTURES_REQUIRED slots_evaluated
                     PASS_REGULAR_EXPRESSION "\\| Slot Attention, K = 6, T = 5 +\\| 6 / 5 +\\| -?[0-9.]+ +\\| 99\\.5 ")
set_tests_properties(cli.slots_table PROPERTIES FIXTURES_REQUIRED slots_trained
                     PASS_REGULAR_EXPRESSION "\\| Slot Attention +\\| 4 / 3 +\\| -?[0-9.]+ +\\| 99\\.5 ")
# slots predict: the trained row on an image file of another size and kind (grey, 28×28).
add_test(NAME cli.slots_predict
         COMMAND setformer slots predict --checkpoint ${CLI_OUT}/slots/checkpoint.pt
                 ${FIXTURES}/ankle_boot.pgm --out ${CLI_OUT}/slots_predict)
set_tests_properties(cli.slots_predict PROPERTIES FIXTURES_REQUIRED slots_trained
                     PASS_REGULAR_EXPRESSION "ankle_boot.pgm:  slot 1 [0-9.]+%  slot 2 [0-9.]+%  slot 3 [0-9.]+%  slot 4 [0-9.]+%\nwrote .*slots_predict/predictions.json")
# slots scenes: the picture of generated test scenes, each CLEVR-like object printed in words.
add_test(NAME cli.slots_scenes
         COMMAND setformer slots scenes --dataset clevr --count 3 --out ${CLI_OUT}/scenes.png)
set_tests_properties(cli.slots_scenes PROPERTIES PASS_REGULAR_EXPRESSION
                     "scene 2: [3-6] objects: (small|large) (rubber|metal) [a-z]+ (cube|sphere|cylinder) at \\(0\\.[0-9]+, 0\\.[0-9]+\\).*wrote .*scenes.png")

# seq2seq train, table and translate: a few steps of a tiny reverse model, then its checkpoint
# decodes lines from a file (the answers are not expected to be right after 30 steps).
add_test(NAME cli.seq2seq_train_quick
         COMMAND setformer seq2seq train --task reverse --row "tiny reverse" --symbols 5
                 --min-length 3 --max-length 6 --dim 16 --heads 2 --ffn-dim 32 --encoder-layers 1
                 --decoder-layers 1 --steps 30 --warmup-steps 10 --batch-size 8
                 --test-examples 10 --beam 2 --threads 1 --out ${CLI_OUT}/seq2seq)
set_tests_properties(cli.seq2seq_train_quick PROPERTIES FIXTURES_SETUP seq2seq_trained
                     PASS_REGULAR_EXPRESSION "test_exact_match: [0-9.]+.*test_exact_match_beam: [0-9.]+.*summary.json")
add_test(NAME cli.seq2seq_table
         COMMAND setformer seq2seq table --out ${CLI_OUT}/seq2seq_table ${CLI_OUT}/seq2seq/summary.json)
set_tests_properties(cli.seq2seq_table PROPERTIES FIXTURES_REQUIRED seq2seq_trained
                     PASS_REGULAR_EXPRESSION "\\| reverse +\\| tiny reverse +\\| [0-9.]+% +\\| [0-9.]+% \\(k = 2\\)")
add_test(NAME cli.seq2seq_eval
         COMMAND setformer seq2seq eval --checkpoint ${CLI_OUT}/seq2seq/checkpoint.pt
                 --out ${CLI_OUT}/seq2seq_eval --threads 1)
set_tests_properties(cli.seq2seq_eval PROPERTIES FIXTURES_REQUIRED seq2seq_trained
                     PASS_REGULAR_EXPRESSION "30 steps.*test_exact_match_beam: [0-9.]+")
add_test(NAME cli.translate_lines
         COMMAND setformer translate --checkpoint ${CLI_OUT}/seq2seq/checkpoint.pt
                 --input ${FIXTURES}/reverse_lines.txt --beam 2 --output ${CLI_OUT}/translated.txt)
set_tests_properties(cli.translate_lines PROPERTIES FIXTURES_REQUIRED seq2seq_trained
                     FIXTURES_SETUP seq2seq_translated)
add_test(NAME cli.translate_writes_one_line_per_input
         COMMAND ${CMAKE_COMMAND} -DFILE=${CLI_OUT}/translated.txt -DLINES=3
                 -P ${PROJECT_SOURCE_DIR}/tests/cli/count_lines.cmake)
set_tests_properties(cli.translate_writes_one_line_per_input PROPERTIES FIXTURES_REQUIRED
                     seq2seq_translated)

# pretrain, finetune --init and classify on the installed text corpora (scripts/setup.sh): a few
# steps of a tiny encoder with a small BPE vocabulary, its tokenizer carried through checkpoints.
set(TEXT_DATA ${PROJECT_SOURCE_DIR}/data/text/node_modules/@stdlib)
set(TINY_TEXT --kernel set --dim 16 --heads 2 --depth 1 --m 8 --batch-size 4 --steps 6
              --warmup-steps 2 --threads 1 --eval-every 0 --data-dir ${TEXT_DATA}
              --splits-dir ${CLI_OUT}/splits)
add_test(NAME cli.pretrain_quick
         COMMAND setformer pretrain ${TINY_TEXT} --length 32 --eval-sequences 8 --vocab-size 300
                 --tokenizer-corpora moby_dick --out ${CLI_OUT}/pretrain)
set_tests_properties(cli.pretrain_quick PROPERTIES FIXTURES_SETUP pretrained
                     PASS_REGULAR_EXPRESSION "bpe \\(300 tokens\\).*valid_mlm_accuracy: [0-9.]+.*summary.json")
add_test(NAME cli.finetune_from_pretrained
         COMMAND setformer finetune ${TINY_TEXT} --length 64 --eval-sequences 16
                 --init ${CLI_OUT}/pretrain/checkpoint.pt --out ${CLI_OUT}/finetune)
set_tests_properties(cli.finetune_from_pretrained PROPERTIES FIXTURES_REQUIRED pretrained
                     FIXTURES_SETUP finetuned
                     PASS_REGULAR_EXPRESSION "bpe \\(300 tokens\\).*test_accuracy: [0-9.]+.*test_f1")
# The summary names the misread test e-mails (by their corpus ids, "group/file").
add_test(NAME cli.finetune_lists_errors COMMAND ${CMAKE_COMMAND} -E cat ${CLI_OUT}/finetune/summary.json)
set_tests_properties(cli.finetune_lists_errors PROPERTIES FIXTURES_REQUIRED finetuned
                     PASS_REGULAR_EXPRESSION "\"test_errors\": *\\[[ \n]*(\\]|\"[^\"]+/[^\"]+\")")
add_test(NAME cli.classify_files
         COMMAND setformer classify --checkpoint ${CLI_OUT}/finetune/checkpoint.pt
                 ${PROJECT_SOURCE_DIR}/README.md ${FIXTURES}/reverse_lines.txt)
set_tests_properties(cli.classify_files PROPERTIES FIXTURES_REQUIRED finetuned
                     PASS_REGULAR_EXPRESSION "README.md\t(spam|ham)\tp\\(spam\\) = [0-9.]+\n.*reverse_lines.txt\t(spam|ham)")

# language eval repeats the run's last evaluation from its checkpoint, into eval.json.
add_test(NAME cli.language_eval
         COMMAND setformer language eval --checkpoint ${CLI_OUT}/finetune/checkpoint.pt
                 --out ${CLI_OUT}/finetune_eval.json --threads 1)
set_tests_properties(cli.language_eval PROPERTIES FIXTURES_REQUIRED finetuned
                     PASS_REGULAR_EXPRESSION "\\(classify\\) at step 6\ntest_accuracy: [0-9.]+\ntest_errors: [0-9]+ .*test_f1: [0-9.]+\nwrote .*finetune_eval.json")

add_test(NAME cli.listops_quick
         COMMAND setformer finetune --task listops ${TINY_TEXT} --eval-sequences 16
                 --listops-min-length 30 --listops-max-length 120 --out ${CLI_OUT}/listops)
set_tests_properties(cli.listops_quick PROPERTIES FIXTURES_SETUP listops_trained
                     PASS_REGULAR_EXPRESSION "test_accuracy: [0-9.]+.*summary.json")
add_test(NAME cli.language_table
         COMMAND setformer language table --out ${CLI_OUT}/language_table
                 ${CLI_OUT}/listops/summary.json ${CLI_OUT}/finetune/summary.json)
set_tests_properties(cli.language_table PROPERTIES FIXTURES_REQUIRED "listops_trained;finetuned"
                     PASS_REGULAR_EXPRESSION "\\| classify +\\| +\\| set +\\| 64 .*\\| listops +\\| +\\| set +\\| 30–120 ")

# bench language: the committed SpamAssassin rows of two kernels at a short length, side by side.
add_test(NAME cli.bench_language_rows
         COMMAND setformer bench language ${PROJECT_SOURCE_DIR}/configs/language/spam/set_2048.toml
                 ${PROJECT_SOURCE_DIR}/configs/language/spam/softmax_2048.toml --length 64
                 --batch 2 --steps 1 --rounds 2 --warmup 0 --threads 2
                 --table ${CLI_OUT}/bench_language)
set_tests_properties(cli.bench_language_rows PROPERTIES PASS_REGULAR_EXPRESSION
                     "\\| set_2048 +\\| set +\\| 64 +\\| 2 +\\| .*1\\.00x +\\| 1\\.00x +\\|\n\\| softmax_2048 +\\| softmax +\\| 64 +\\| 2 .*bench_language.json")

# Every committed experiment config loads and builds its model.
foreach(kind sets slots seq2seq language)
  add_test(NAME cli.configs_${kind}
           COMMAND ${PROJECT_SOURCE_DIR}/tests/cli/check_configs.sh $<TARGET_FILE:setformer>
                   ${PROJECT_SOURCE_DIR}/configs ${kind})
  set_tests_properties(cli.configs_${kind} PROPERTIES PASS_REGULAR_EXPRESSION "[1-9][0-9]* configs checked, 0 failed")
endforeach()
# Bad input: non-zero exit and one line on stderr naming the culprit.
function(cli_error name fragment)
  add_test(NAME cli.error.${name} COMMAND ${EXPECT_ERROR} "${fragment}" $<TARGET_FILE:setformer> ${ARGN})
endfunction()
cli_error(unknown_kernel "unknown attention kernel 'nope'; expected one of: softmax, set, window"
          bench attention --kernels nope)
cli_error(unknown_model "unknown model 'setformer-huge'" info --model setformer-huge)
cli_error(unknown_bench_variant "bench train: unknown variant 'fast'; expected one of: fused"
          bench train --variants fast)
cli_error(slots_predict_missing_image "missing.png: image not found"
          slots predict --checkpoint ${FIXTURES}/ankle_boot.pgm missing.png)
cli_error(bench_infer_row "ankle_boot.pgm' is neither a .toml configuration nor a .pt checkpoint"
          bench infer ${FIXTURES}/ankle_boot.pgm)
cli_error(bench_language_mlm_row "is an mlm configuration; the benchmark trains a classification head"
          bench language ${FIXTURES}/tiny_mlm.toml)
cli_error(bench_config_key "bad_bench.toml: unknown key 'heds'"
          bench attention --config ${FIXTURES}/bad_bench.toml)
cli_error(train_config_key "bad_key_train.toml: unknown key 'optim.epoch'"
          train --config ${FIXTURES}/bad_key_train.toml)
cli_error(train_config_type "bad_type_train.toml: key 'optim.epochs' must be"
          train --config ${FIXTURES}/bad_type_train.toml)
cli_error(train_bad_value "model.dims has 2 entries but the model has 3 stages"
          train --dims 8,16 --out ${CLI_OUT}/never)
cli_error(train_bad_parallel "run.parallel = 'threads' is not valid; expected batch | ops"
          train --parallel threads --out ${CLI_OUT}/never)
cli_error(truncated_dataset "corrupt-fashion-mnist/train-images-idx3-ubyte.gz: truncated"
          train --data-dir ${FIXTURES}/corrupt-fashion-mnist --out ${CLI_OUT}/never)
cli_error(missing_dataset "dataset-fashion-mnist"
          train --data-dir ${CLI_OUT}/no-such-folder --out ${CLI_OUT}/never)
cli_error(not_a_checkpoint "bad_bench.toml: not a setformer checkpoint"
          eval --checkpoint ${FIXTURES}/bad_bench.toml)
cli_error(sets_bad_task "task.name = 'sorting' is not a set task"
          sets train --task sorting --out ${CLI_OUT}/never)
cli_error(sets_bad_layer "model.encoder[1] = 'lstm' is not a layer"
          sets train --encoder sab,lstm --out ${CLI_OUT}/never)
cli_error(slots_bad_dataset "data.dataset = 'clevr6' is not valid; expected tetrominoes"
          slots train --dataset clevr6 --out ${CLI_OUT}/never)
cli_error(slots_scenes_bad_count "--count = 0 must be 1..64"
          slots scenes --count 0 --out ${CLI_OUT}/never.png)
cli_error(slots_too_few_slots "model.slots = 4 cannot predict scenes of up to 6 objects"
          slots train --task set_prediction --dataset clevr --slots 4 --out ${CLI_OUT}/never)
cli_error(sets_dry_run_bad_key "bad_key_sets.toml: unknown key 'model.encdoer'"
          sets train --config ${FIXTURES}/bad_key_sets.toml --dry-run)
cli_error(missing_image "no-such.png: image not found"
          predict --checkpoint ${FIXTURES}/bad_bench.toml ${FIXTURES}/no-such.png)
cli_error(seq2seq_bad_task "task.name = 'rotate' is not a task; expected copy | reverse"
          seq2seq train --task rotate --out ${CLI_OUT}/never)
cli_error(seq2seq_causal_kernel "decoder self-attention kernel 'set' does not support causal"
          seq2seq train --decoder-kernel set --dry-run)
cli_error(translate_bad_character "bad_reverse_lines.txt line 2: character 'z' at position 3"
          translate --checkpoint ${CLI_OUT}/seq2seq/checkpoint.pt --input ${FIXTURES}/bad_reverse_lines.txt)
set_tests_properties(cli.error.translate_bad_character PROPERTIES FIXTURES_REQUIRED seq2seq_trained)
cli_error(finetune_bad_corpus "data.corpora must be [\"spam_assassin\"] for task classify"
          finetune --corpora moby_dick --out ${CLI_OUT}/never)
cli_error(classify_not_a_classifier "not a checkpoint of setformer pretrain or finetune"
          classify --checkpoint ${CLI_OUT}/seq2seq/checkpoint.pt ${PROJECT_SOURCE_DIR}/README.md)
set_tests_properties(cli.error.classify_not_a_classifier PROPERTIES FIXTURES_REQUIRED seq2seq_trained)
cli_error(language_eval_not_a_language_checkpoint "not a checkpoint of setformer pretrain or finetune"
          language eval --checkpoint ${CLI_OUT}/seq2seq/checkpoint.pt)
set_tests_properties(cli.error.language_eval_not_a_language_checkpoint PROPERTIES
                     FIXTURES_REQUIRED seq2seq_trained)
