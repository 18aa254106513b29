# The command-line tool, end to end. Included from the top-level CMakeLists.txt.
set(CLI_OUT ${CMAKE_BINARY_DIR}/cli-test)
set(FIXTURES ${PROJECT_SOURCE_DIR}/tests/fixtures)
set(EXPECT_ERROR ${PROJECT_SOURCE_DIR}/tests/cli/expect_error.sh)

add_test(NAME cli.help COMMAND setformer --help)
add_test(NAME cli.help_all COMMAND setformer help)
set_tests_properties(cli.help_all PROPERTIES PASS_REGULAR_EXPRESSION
                     "Usage: setformer train .*Usage: setformer bench attention .*Usage: setformer help")
# docs/cli.md is generated from the binary's own help; it fails when the page is stale.
add_test(NAME cli.docs_cli_md
         COMMAND ${PROJECT_SOURCE_DIR}/tests/cli/check_generated.sh ${PROJECT_SOURCE_DIR}/docs/cli.md
                 $<TARGET_FILE:setformer> help --markdown)
# Every relative link and picture of the README and docs/ names a file of the tree.
add_test(NAME docs.links COMMAND ${PROJECT_SOURCE_DIR}/tests/cli/check_links.sh ${PROJECT_SOURCE_DIR})
set_tests_properties(docs.links PROPERTIES PASS_REGULAR_EXPRESSION "[1-9][0-9]* links checked, 0 broken")
# The README stays a newcomer's page (docs/ holds the rest).
add_test(NAME docs.readme_length
         COMMAND ${CMAKE_COMMAND} -DFILE=${PROJECT_SOURCE_DIR}/README.md -DMAX_LINES=250
                 -P ${PROJECT_SOURCE_DIR}/tests/cli/count_lines.cmake)
# train --help shows the options of the task's family: --task or the config's task.name picks it.
add_test(NAME cli.train_help_follows_task COMMAND setformer train --task clustering --help)
set_tests_properties(cli.train_help_follows_task PROPERTIES PASS_REGULAR_EXPRESSION
                     "--inducing-points.*options of family sets")
add_test(NAME cli.train_help_follows_config
         COMMAND setformer train --config ${PROJECT_SOURCE_DIR}/configs/slots/tetrominoes/slot_attention.toml --help)
set_tests_properties(cli.train_help_follows_config PROPERTIES PASS_REGULAR_EXPRESSION
                     "--slot-dim.*options of family slots")
add_test(NAME cli.train_help_follows_config_equals
         COMMAND setformer train --config=${PROJECT_SOURCE_DIR}/configs/seq2seq/tasks/copy.toml --help)
set_tests_properties(cli.train_help_follows_config_equals PROPERTIES PASS_REGULAR_EXPRESSION
                     "--ffn-dim.*options of family seq2seq")
# --dry-run: the resolved task, model, parameters and data source, without training.
add_test(NAME cli.train_dry_run COMMAND setformer train --config ${FIXTURES}/tiny_train.toml --dry-run)
set_tests_properties(cli.train_dry_run PROPERTIES PASS_REGULAR_EXPRESSION
                     "task: image_classification \\(image_classification\\)\nmodel: setformer-fmnist: 0\\.[0-9]+ M parameters.*\ndata: Fashion-MNIST IDX files in .* \\(the first 512 training images, the first 200 test images\\)\nout: ")
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

# train (a set task) and sets table: a short clustering row and its table beside the paper's figures.
add_test(NAME cli.sets_train_quick
         COMMAND setformer train --task clustering --row "ISAB (16) + PMA" --encoder isab,isab
                 --decoder-sabs 1 --dim 16 --min-size 20 --max-size 30 --steps 20 --batch-size 4
                 --test-sets 20 --threads 1 --out ${CLI_OUT}/sets)
set_tests_properties(cli.sets_train_quick PROPERTIES FIXTURES_SETUP sets_trained
                     PASS_REGULAR_EXPRESSION "oracle_ll: -1\\.[0-9]+.*test_ll0: -[0-9.]+.*test_ll1.*summary.json")
add_test(NAME cli.sets_table
         COMMAND setformer sets table --out ${CLI_OUT}/sets_table ${CLI_OUT}/sets/summary.json)
set_tests_properties(cli.sets_table PROPERTIES FIXTURES_REQUIRED sets_trained
                     PASS_REGULAR_EXPRESSION "\\| Oracle \\(true parameters\\) +\\| -1\\.[0-9]+ .*\\| -1\\.4726 .*\\| ISAB \\(16\\) \\+ PMA +\\| .*-1\\.5009")
add_test(NAME cli.sets_resume
         COMMAND setformer train --task clustering --row "ISAB (16) + PMA" --encoder isab,isab
                 --decoder-sabs 1 --dim 16 --min-size 20 --max-size 30 --steps 30 --batch-size 4
                 --test-sets 20 --threads 1 --out ${CLI_OUT}/sets --resume)
set_tests_properties(cli.sets_resume PROPERTIES FIXTURES_REQUIRED sets_trained
                     PASS_REGULAR_EXPRESSION "test_ll0")

# train (object discovery) and slots table: a short row and its table beside the paper's.
add_test(NAME cli.slots_train_quick
         COMMAND setformer train --task object_discovery --row "Slot Attention" --dataset tetrominoes --channels 8
                 --slot-dim 16 --decoder-channels 8 --decoder-layers 1 --steps 4 --warmup-steps 1
                 --batch-size 4 --test-images 8 --threads 1 --out ${CLI_OUT}/slots)
set_tests_properties(cli.slots_train_quick PROPERTIES FIXTURES_SETUP slots_trained
                     PASS_REGULAR_EXPRESSION "test_ari: -?[0-9.]+.*test_mse: [0-9.]+.*summary.json")
add_test(NAME cli.slots_table
         COMMAND setformer slots table --out ${CLI_OUT}/slots_table ${CLI_OUT}/slots/summary.json)
add_test(NAME cli.slots_eval_more_slots
         COMMAND setformer eval --checkpoint ${CLI_OUT}/slots/checkpoint.pt --test-slots 6
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
# predict: the trained slots row on an image file of another size and kind (grey, 28×28).
add_test(NAME cli.slots_predict
         COMMAND setformer predict --checkpoint ${CLI_OUT}/slots/checkpoint.pt
                 ${FIXTURES}/ankle_boot.pgm --out ${CLI_OUT}/slots_predict)
set_tests_properties(cli.slots_predict PROPERTIES FIXTURES_REQUIRED slots_trained
                     PASS_REGULAR_EXPRESSION "ankle_boot.pgm:  slot 1 [0-9.]+%  slot 2 [0-9.]+%  slot 3 [0-9.]+%  slot 4 [0-9.]+%\nwrote .*slots_predict/predictions.json")
# slots scenes: the picture of generated test scenes, each CLEVR-like object printed in words.
add_test(NAME cli.slots_scenes
         COMMAND setformer slots scenes --dataset clevr --count 3 --out ${CLI_OUT}/scenes.png)
set_tests_properties(cli.slots_scenes PROPERTIES PASS_REGULAR_EXPRESSION
                     "scene 2: [3-6] objects: (small|large) (rubber|metal) [a-z]+ (cube|sphere|cylinder) at \\(0\\.[0-9]+, 0\\.[0-9]+\\).*wrote .*scenes.png")

# train, seq2seq table, eval and predict: a few steps of a tiny reverse model, then its checkpoint
# decodes lines from a file (the answers are not expected to be right after 30 steps).
add_test(NAME cli.seq2seq_train_quick
         COMMAND setformer train --task reverse --row "tiny reverse" --symbols 5
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
         COMMAND setformer eval --checkpoint ${CLI_OUT}/seq2seq/checkpoint.pt
                 --out ${CLI_OUT}/seq2seq_eval --threads 1)
set_tests_properties(cli.seq2seq_eval PROPERTIES FIXTURES_REQUIRED seq2seq_trained
                     PASS_REGULAR_EXPRESSION "30 steps.*test_exact_match_beam: [0-9.]+")
add_test(NAME cli.translate_lines
         COMMAND sh -c "\"$0\" predict --checkpoint ${CLI_OUT}/seq2seq/checkpoint.pt --beam 2 ${FIXTURES}/reverse_lines.txt > ${CLI_OUT}/translated.txt"
                 $<TARGET_FILE:setformer>)
set_tests_properties(cli.translate_lines PROPERTIES FIXTURES_REQUIRED seq2seq_trained
                     FIXTURES_SETUP seq2seq_translated)
add_test(NAME cli.translate_writes_one_line_per_input
         COMMAND ${CMAKE_COMMAND} -DFILE=${CLI_OUT}/translated.txt -DLINES=3
                 -P ${PROJECT_SOURCE_DIR}/tests/cli/count_lines.cmake)
set_tests_properties(cli.translate_writes_one_line_per_input PROPERTIES FIXTURES_REQUIRED
                     seq2seq_translated)

# train (mlm), train (classify, --init) and predict on the installed text corpora (scripts/setup.sh): a few
# steps of a tiny encoder with a small BPE vocabulary, its tokenizer carried through checkpoints.
set(TEXT_DATA ${PROJECT_SOURCE_DIR}/data/text/node_modules/@stdlib)
set(TINY_TEXT --kernel set --dim 16 --heads 2 --depth 1 --m 8 --batch-size 4 --steps 6
              --warmup-steps 2 --threads 1 --eval-every 0 --data-dir ${TEXT_DATA}
              --splits-dir ${CLI_OUT}/splits)
add_test(NAME cli.pretrain_quick
         COMMAND setformer train --task mlm ${TINY_TEXT} --length 32 --eval-sequences 8 --tokenizer bpe --vocab-size 300
                 --tokenizer-corpora moby_dick --out ${CLI_OUT}/pretrain)
set_tests_properties(cli.pretrain_quick PROPERTIES FIXTURES_SETUP pretrained
                     PASS_REGULAR_EXPRESSION "bpe \\(300 tokens\\).*valid_mlm_accuracy: [0-9.]+.*summary.json")
add_test(NAME cli.finetune_from_pretrained
         COMMAND setformer train --task classify ${TINY_TEXT} --length 64 --eval-sequences 16
                 --init ${CLI_OUT}/pretrain/checkpoint.pt --out ${CLI_OUT}/finetune)
set_tests_properties(cli.finetune_from_pretrained PROPERTIES FIXTURES_REQUIRED pretrained
                     FIXTURES_SETUP finetuned
                     PASS_REGULAR_EXPRESSION "bpe \\(300 tokens\\).*test_accuracy: [0-9.]+.*test_f1")
# The summary names the misread test e-mails (by their corpus ids, "group/file").
add_test(NAME cli.finetune_lists_errors COMMAND ${CMAKE_COMMAND} -E cat ${CLI_OUT}/finetune/summary.json)
set_tests_properties(cli.finetune_lists_errors PROPERTIES FIXTURES_REQUIRED finetuned
                     PASS_REGULAR_EXPRESSION "\"test_errors\": *\\[[ \n]*(\\]|\"[^\"]+/[^\"]+\")")
add_test(NAME cli.classify_files
         COMMAND setformer predict --checkpoint ${CLI_OUT}/finetune/checkpoint.pt
                 ${PROJECT_SOURCE_DIR}/README.md ${FIXTURES}/reverse_lines.txt)
set_tests_properties(cli.classify_files PROPERTIES FIXTURES_REQUIRED finetuned
                     PASS_REGULAR_EXPRESSION "README.md\t(spam|ham)\tp\\(spam\\) = [0-9.]+\n.*reverse_lines.txt\t(spam|ham)")

# eval repeats a language run's last evaluation from its checkpoint, into eval.json.
add_test(NAME cli.language_eval
         COMMAND setformer eval --checkpoint ${CLI_OUT}/finetune/checkpoint.pt
                 --out ${CLI_OUT}/finetune_eval --threads 1)
set_tests_properties(cli.language_eval PROPERTIES FIXTURES_REQUIRED finetuned
                     PASS_REGULAR_EXPRESSION "\\(classify\\) at step 6\ntest_accuracy: [0-9.]+\ntest_errors: [0-9]+ .*test_f1: [0-9.]+\nwrote .*finetune_eval/eval.json")

add_test(NAME cli.listops_quick
         COMMAND setformer train --task listops ${TINY_TEXT} --eval-sequences 16
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

# One command shape for every task: a tiny run of each task not trained above, then `eval` and
# `predict` of every task's checkpoint, each told nothing but the checkpoint (and its inputs).
set(EXPECT_LINES ${PROJECT_SOURCE_DIR}/tests/cli/expect_lines.sh)
set(TINY_SETS --dim 16 --heads 2 --steps 4 --batch-size 4 --test-sets 8 --eval-batch-size 4
              --threads 1 --eval-every 0)
foreach(task max_regression clustering_large unique_count)
  set(sizes)
  if(task STREQUAL "clustering_large")
    set(sizes --min-size 30 --max-size 40)
  endif()
  add_test(NAME cli.train_${task}
           COMMAND setformer train --task ${task} ${TINY_SETS} ${sizes} --out ${CLI_OUT}/${task})
  set_tests_properties(cli.train_${task} PROPERTIES FIXTURES_SETUP trained_${task})
endforeach()
add_test(NAME cli.train_set_prediction
         COMMAND setformer train --task set_prediction --dataset clevr --slots 6 --channels 8
                 --slot-dim 16 --head-hidden 16 --steps 3 --warmup-steps 1 --batch-size 2
                 --test-images 4 --eval-batch-size 2 --threads 1 --out ${CLI_OUT}/set_prediction)
set_tests_properties(cli.train_set_prediction PROPERTIES FIXTURES_SETUP trained_set_prediction)
foreach(task copy sort addition)
  add_test(NAME cli.train_${task}
           COMMAND setformer train --task ${task} --symbols 5 --min-length 3 --max-length 6
                   --digits 3 --dim 16 --heads 2 --ffn-dim 32 --encoder-layers 1
                   --decoder-layers 1 --steps 4 --warmup-steps 2 --batch-size 4
                   --test-examples 4 --threads 1 --out ${CLI_OUT}/${task})
  set_tests_properties(cli.train_${task} PROPERTIES FIXTURES_SETUP trained_${task})
endforeach()

# eval: each checkpoint's held-out metrics, written beside it or into --out.
function(cli_eval name fixture checkpoint pattern)
  add_test(NAME cli.eval_${name} COMMAND setformer eval --checkpoint ${checkpoint} --threads 1
                                         ${ARGN})
  set_tests_properties(cli.eval_${name} PROPERTIES FIXTURES_REQUIRED ${fixture}
                       PASS_REGULAR_EXPRESSION "${pattern}")
endfunction()
cli_eval(max_regression trained_max_regression ${CLI_OUT}/max_regression/checkpoint.pt
         "test_mae: [0-9.]+.*wrote .*max_regression/eval.json")
cli_eval(clustering sets_trained ${CLI_OUT}/sets/checkpoint.pt
         "oracle_ll: -1\\.[0-9]+.*test_ll0: -[0-9.]+.*wrote .*sets_eval/eval.json"
         --out ${CLI_OUT}/sets_eval)
cli_eval(clustering_large trained_clustering_large ${CLI_OUT}/clustering_large/checkpoint.pt
         "test_ll1: -[0-9.]+")
cli_eval(unique_count trained_unique_count ${CLI_OUT}/unique_count/checkpoint.pt
         "test_accuracy: [0-9.]+.*test_poisson_nll")
cli_eval(object_discovery slots_trained ${CLI_OUT}/slots/checkpoint.pt
         "K = 4, T = 3.*test_ari: -?[0-9.]+" --out ${CLI_OUT}/slots_eval)
cli_eval(set_prediction trained_set_prediction ${CLI_OUT}/set_prediction/checkpoint.pt
         "test_ap_inf: [0-9.]+" --out ${CLI_OUT}/set_prediction_eval)
foreach(task copy sort addition)
  cli_eval(${task} trained_${task} ${CLI_OUT}/${task}/checkpoint.pt "test_exact_match: [0-9.]+")
endforeach()
cli_eval(mlm pretrained ${CLI_OUT}/pretrain/checkpoint.pt
         "\\(mlm\\) at step 6\n.*valid_mlm_accuracy: [0-9.]+")
cli_eval(listops listops_trained ${CLI_OUT}/listops/checkpoint.pt
         "\\(listops\\) at step 6\ntest_accuracy: [0-9.]+")

# predict: each task's kind of input, one answer per input.
function(cli_predict name fixture pattern)
  add_test(NAME cli.predict_${name} COMMAND setformer predict --threads 1 ${ARGN})
  set_tests_properties(cli.predict_${name} PROPERTIES FIXTURES_REQUIRED ${fixture}
                       PASS_REGULAR_EXPRESSION "${pattern}")
endfunction()
cli_predict(max_regression trained_max_regression
            "set_reals.json: 4 elements, predicted maximum -?[0-9.]+"
            --checkpoint ${CLI_OUT}/max_regression/checkpoint.pt ${FIXTURES}/set_reals.json)
cli_predict(clustering sets_trained
            "set_points.json: 6 points, 4 components:  weight 0\\.[0-9]+ mean \\(-?[0-9.]+, -?[0-9.]+\\) std \\([0-9.]+, [0-9.]+\\)  weight 0\\.[0-9]+ mean \\(-?[0-9.]+, -?[0-9.]+\\) std \\([0-9.]+, [0-9.]+\\)  weight 0\\.[0-9]+ mean \\(-?[0-9.]+, -?[0-9.]+\\) std \\([0-9.]+, [0-9.]+\\)  weight 0\\.[0-9]+ mean \\(-?[0-9.]+, -?[0-9.]+\\) std \\([0-9.]+, [0-9.]+\\)\n"
            --checkpoint ${CLI_OUT}/sets/checkpoint.pt ${FIXTURES}/set_points.json)
cli_predict(clustering_large trained_clustering_large "set_points.json: 6 points, 6 components:"
            --checkpoint ${CLI_OUT}/clustering_large/checkpoint.pt ${FIXTURES}/set_points.json)
cli_predict(unique_count trained_unique_count "^3 images: [0-9]+ distinct classes \\(Poisson rate [0-9.]+\\)"
            --checkpoint ${CLI_OUT}/unique_count/checkpoint.pt ${FIXTURES}/ankle_boot.pgm
            ${FIXTURES}/pullover.pgm ${FIXTURES}/ankle_boot.pgm)
cli_predict(set_prediction trained_set_prediction "pullover.pgm:.*wrote .*set_prediction_predict/predictions.json"
            --checkpoint ${CLI_OUT}/set_prediction/checkpoint.pt ${FIXTURES}/pullover.pgm
            --out ${CLI_OUT}/set_prediction_predict)
cli_predict(mlm pretrained "masked.txt:  \\[MASK\\] 1: '[^']*' 0\\.[0-9]+ '[^']*' 0\\.[0-9]+  \\[MASK\\] 2: "
            --checkpoint ${CLI_OUT}/pretrain/checkpoint.pt --top 2 ${FIXTURES}/masked.txt)
cli_predict(listops listops_trained "listops.txt line 1: [0-9] \\(evaluates to 9\\)\n.*listops.txt line 3: [0-9] \\(evaluates to 6\\)"
            --checkpoint ${CLI_OUT}/listops/checkpoint.pt ${FIXTURES}/listops.txt)
foreach(task copy sort)
  add_test(NAME cli.predict_${task}
           COMMAND ${EXPECT_LINES} 3 $<TARGET_FILE:setformer> predict --threads 1
                   --checkpoint ${CLI_OUT}/${task}/checkpoint.pt ${FIXTURES}/reverse_lines.txt)
  set_tests_properties(cli.predict_${task} PROPERTIES FIXTURES_REQUIRED trained_${task})
endforeach()
# A seq2seq checkpoint decodes standard input too (-).
add_test(NAME cli.predict_stdin
         COMMAND sh -c "printf 'abc\\nbad\\n' | \"$0\" predict --threads 1 --checkpoint ${CLI_OUT}/copy/checkpoint.pt - | wc -l"
                 $<TARGET_FILE:setformer>)
set_tests_properties(cli.predict_stdin PROPERTIES FIXTURES_REQUIRED trained_copy
                     PASS_REGULAR_EXPRESSION "^2\n$")
add_test(NAME cli.predict_addition
         COMMAND ${EXPECT_LINES} 2 $<TARGET_FILE:setformer> predict --threads 1 --beam 2
                 --checkpoint ${CLI_OUT}/addition/checkpoint.pt ${FIXTURES}/addition_lines.txt)
set_tests_properties(cli.predict_addition PROPERTIES FIXTURES_REQUIRED trained_addition)

# data export: Fashion-MNIST as an image folder, train/ and val/ with a folder per class.
add_test(NAME cli.data_export
         COMMAND setformer data export --limit 20 --out ${CLI_OUT}/fmnist_png)
set_tests_properties(cli.data_export PROPERTIES PASS_REGULAR_EXPRESSION
                     "fmnist_png/train: 20 images:  0_T-shirt_top [0-9]+  1_Trouser [0-9]+ .*9_Ankle_boot [0-9]+\n.*fmnist_png/val: 20 images:")

# Every committed config loads and builds its model (--dry-run), whatever its task.
add_test(NAME cli.configs_dry_run
         COMMAND ${PROJECT_SOURCE_DIR}/tests/cli/check_configs.sh $<TARGET_FILE:setformer>
                 ${PROJECT_SOURCE_DIR}/configs)
set_tests_properties(cli.configs_dry_run PROPERTIES PASS_REGULAR_EXPRESSION "[1-9][0-9]* configs checked, 0 failed")
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
          predict --checkpoint ${CLI_OUT}/slots/checkpoint.pt missing.png)
set_tests_properties(cli.error.slots_predict_missing_image PROPERTIES FIXTURES_REQUIRED slots_trained)
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
cli_error(bad_task_flag "--task: task 'sorting' is not a setformer task; expected one of: image_classification, max_regression"
          train --task sorting --out ${CLI_OUT}/never)
cli_error(bad_task_key "bad_task.toml: task.name: task 'sorting' is not a setformer task"
          train --config ${FIXTURES}/bad_task.toml --dry-run)
cli_error(moved_command "'setformer sets train' is now 'setformer train --config C"
          sets train --config ${FIXTURES}/bad_key_sets.toml)
cli_error(sets_bad_layer "model.encoder[1] = 'lstm' is not a layer"
          train --task max_regression --encoder sab,lstm --out ${CLI_OUT}/never)
cli_error(slots_bad_dataset "data.dataset = 'clevr6' is not valid; expected tetrominoes"
          train --task object_discovery --dataset clevr6 --out ${CLI_OUT}/never)
cli_error(slots_scenes_bad_count "--count = 0 must be 1..64"
          slots scenes --count 0 --out ${CLI_OUT}/never.png)
cli_error(slots_too_few_slots "model.slots = 4 cannot predict scenes of up to 6 objects"
          train --task set_prediction --dataset clevr --slots 4 --out ${CLI_OUT}/never)
cli_error(sets_dry_run_bad_key "bad_key_sets.toml: unknown key 'model.encdoer'"
          train --config ${FIXTURES}/bad_key_sets.toml --dry-run)
cli_error(missing_image "no-such.png: image not found"
          predict --checkpoint ${CLI_OUT}/train/checkpoint.pt ${FIXTURES}/no-such.png)
set_tests_properties(cli.error.missing_image PROPERTIES FIXTURES_REQUIRED trained)
cli_error(seq2seq_bad_task "--task: task 'rotate' is not a setformer task"
          train --task rotate --out ${CLI_OUT}/never)
cli_error(seq2seq_causal_kernel "decoder self-attention kernel 'set' does not support causal"
          train --task reverse --decoder-kernel set --dry-run)
cli_error(translate_bad_character "bad_reverse_lines.txt line 2: character 'z' at position 3"
          predict --checkpoint ${CLI_OUT}/seq2seq/checkpoint.pt ${FIXTURES}/bad_reverse_lines.txt)
set_tests_properties(cli.error.translate_bad_character PROPERTIES FIXTURES_REQUIRED seq2seq_trained)
cli_error(finetune_bad_corpus "data.corpora must be [\"spam_assassin\"] for task classify"
          train --task classify --corpora moby_dick --out ${CLI_OUT}/never)
# An option of another task's checkpoints is an error, not silently ignored.
cli_error(predict_option_of_another_task "--top applies to image_classification and mlm checkpoints; "
          predict --checkpoint ${CLI_OUT}/seq2seq/checkpoint.pt --top 2 ${FIXTURES}/reverse_lines.txt)
set_tests_properties(cli.error.predict_option_of_another_task PROPERTIES FIXTURES_REQUIRED seq2seq_trained)
cli_error(eval_option_of_another_task "--limit applies to image_classification checkpoints"
          eval --checkpoint ${CLI_OUT}/seq2seq/checkpoint.pt --limit 10)
set_tests_properties(cli.error.eval_option_of_another_task PROPERTIES FIXTURES_REQUIRED seq2seq_trained)

# Image folders (issue 39): data export writes Fashion-MNIST as PNG files, and train, eval and
# predict read them back through the folder pipeline.
add_test(NAME cli.data_export_png
         COMMAND setformer data export --limit 40 --out ${CLI_OUT}/fmnist_png)
set_tests_properties(cli.data_export_png PROPERTIES FIXTURES_SETUP png_folder PASS_REGULAR_EXPRESSION
                     "fmnist_png/train: 40 images:  0_T-shirt_top [0-9]+ .*fmnist_png/val: 40 images")
add_test(NAME cli.train_image_folder
         COMMAND setformer train --config ${FIXTURES}/tiny_train.toml --data-root ${CLI_OUT}/fmnist_png
                 --crop resize --image-size 28 --batch-size 8 --workers 2 --out ${CLI_OUT}/folder_train)
set_tests_properties(cli.train_image_folder PROPERTIES FIXTURES_REQUIRED png_folder
                     FIXTURES_SETUP folder_trained PASS_REGULAR_EXPRESSION
                     "data: 40 training images .*10 classes.*grey images.*data [0-9]+%.*test accuracy: 0\\.[0-9]+ on 40 images")
add_test(NAME cli.eval_image_folder
         COMMAND setformer eval --checkpoint ${CLI_OUT}/folder_train/checkpoint.pt
                 --out ${CLI_OUT}/folder_eval)
set_tests_properties(cli.eval_image_folder PROPERTIES FIXTURES_REQUIRED folder_trained
                     PASS_REGULAR_EXPRESSION "on 40 validation images\naccuracy: 0\\.[0-9]+   top-5: [01]\\.[0-9]+.*folder_eval/confusion.png")
add_test(NAME cli.predict_image_folder_json
         COMMAND setformer predict --checkpoint ${CLI_OUT}/folder_train/checkpoint.pt --json --top 2
                 ${CLI_OUT}/fmnist_png/val/1_Trouser)
set_tests_properties(cli.predict_image_folder_json PROPERTIES FIXTURES_REQUIRED folder_trained
                     PASS_REGULAR_EXPRESSION "\"input\": \".*1_Trouser/[0-9]+\\.png\",\n    \"top\": \\[\n      {\n        \"class\": \"[0-9]_")
add_test(NAME cli.train_image_folder_bad_files
         COMMAND ${PROJECT_SOURCE_DIR}/tests/cli/bad_image_folder.sh $<TARGET_FILE:setformer>
                 ${CLI_OUT}/fmnist_png ${CLI_OUT}/bad_folder ${FIXTURES}/tiny_train.toml)
set_tests_properties(cli.train_image_folder_bad_files PROPERTIES FIXTURES_REQUIRED png_folder
                     PASS_REGULAR_EXPRESSION
                     "2 image file\\(s\\) cannot be read:\n  .*empty.png: empty file \\(0 bytes\\)\n  .*notes.jpg: not a JPEG, PNG, PGM or PPM image.*exit=1\n.*skipped 2 unreadable file\\(s\\).*test accuracy.*exit=0\n.*empty.png\tempty file")

# Interrupted mid-epoch and resumed on a folder, with every random augmentation and two decoding
# threads: the batches are a function of (seed, epoch, index), so the weights end the same
# (batches of 2 and a progress record per step: 80 steps, so that the signal lands mid-run).
add_test(NAME cli.train_image_folder_interrupt_and_resume
         COMMAND ${PROJECT_SOURCE_DIR}/tests/cli/interrupt_resume.sh $<TARGET_FILE:setformer>
                 ${FIXTURES}/tiny_train.toml ${CLI_OUT}/folder_resume --data-root ${CLI_OUT}/fmnist_png
                 --image-size 28 --batch-size 2 --log-every 1 --workers 2 --rand-augment rand-m9-mstd0.5
                 --mixup 0.8 --cutmix 1.0 --erase-mode pixel)
set_tests_properties(cli.train_image_folder_interrupt_and_resume PROPERTIES FIXTURES_REQUIRED png_folder)

# The 224 pipeline end to end on generated JPEGs of ImageNet-like size: decode (DCT-scaled),
# random-resized crop, RandAugment, Mixup/CutMix, setformer-tiny, checkpoint, eval, predict.
add_test(NAME cli.data_export_jpeg
         COMMAND setformer data export --limit 24 --format jpeg --size 320x240 --out ${CLI_OUT}/jpeg_folder)
set_tests_properties(cli.data_export_jpeg PROPERTIES FIXTURES_SETUP jpeg_folder)
add_test(NAME cli.train_224
         COMMAND setformer train --config ${PROJECT_SOURCE_DIR}/configs/examples/tiny_224.toml
                 --data-root ${CLI_OUT}/jpeg_folder --out ${CLI_OUT}/train_224)
set_tests_properties(cli.train_224 PROPERTIES FIXTURES_REQUIRED jpeg_folder FIXTURES_SETUP trained_224
                     PASS_REGULAR_EXPRESSION "setformer-tiny: 2[0-9]\\.[0-9]+ M parameters, [0-9.]+ MFLOPs per image \\(3x224x224\\).*test accuracy")
add_test(NAME cli.eval_224 COMMAND setformer eval --checkpoint ${CLI_OUT}/train_224/checkpoint.pt)
set_tests_properties(cli.eval_224 PROPERTIES FIXTURES_REQUIRED trained_224
                     PASS_REGULAR_EXPRESSION "on 24 validation images\naccuracy: ")
add_test(NAME cli.predict_224
         COMMAND setformer predict --checkpoint ${CLI_OUT}/train_224/checkpoint.pt ${CLI_OUT}/jpeg_folder/val)
set_tests_properties(cli.predict_224 PROPERTIES FIXTURES_REQUIRED trained_224
                     PASS_REGULAR_EXPRESSION "jpeg_folder/val/0_T-shirt_top/[0-9]+\\.jpg:  [0-9]_[A-Za-z_-]+ [01]\\.[0-9]+")

# Text of the user's own (issue 40): SpamAssassin exported as TSV, a SentencePiece model trained
# on it, then train, eval and predict (files, standard input, test-split files) through the
# generic labelled-text path.
add_test(NAME cli.data_export_spam_tsv
         COMMAND setformer data export --dataset spam-assassin --format tsv --limit 40
                 --text-dir ${PROJECT_SOURCE_DIR}/data/text/node_modules/@stdlib
                 --splits-dir ${PROJECT_SOURCE_DIR}/data/text/splits --out ${CLI_OUT}/spam_tsv)
set_tests_properties(cli.data_export_spam_tsv PROPERTIES FIXTURES_SETUP spam_tsv
                     PASS_REGULAR_EXPRESSION "train.tsv: 40 e-mails.*test.tsv: 40 e-mails")
add_test(NAME cli.tokenizer_train
         COMMAND setformer tokenizer train --corpus ${CLI_OUT}/spam_tsv/train.tsv --vocab-size 600
                 --out ${CLI_OUT}/spam_tok.model)
set_tests_properties(cli.tokenizer_train PROPERTIES FIXTURES_REQUIRED spam_tsv FIXTURES_SETUP spam_tok
                     PASS_REGULAR_EXPRESSION "wrote .*spam_tok.model: a SentencePiece unigram model of [0-9]+ pieces")
add_test(NAME cli.tokenizer_encode
         COMMAND setformer tokenizer encode --model ${CLI_OUT}/spam_tok.model "Received: from localhost")
set_tests_properties(cli.tokenizer_encode PROPERTIES FIXTURES_REQUIRED spam_tok
                     PASS_REGULAR_EXPRESSION "pieces: ▁.*\n  ids: [0-9]+")
add_test(NAME cli.train_text_file
         COMMAND setformer train --task classify --data-root ${CLI_OUT}/spam_tsv --train-file train.tsv
                 --eval-files test.tsv --test-files validation.tsv --tokenizer-model
                 ${CLI_OUT}/spam_tok.model --length 64 --dim 16 --heads 2 --depth 1 --m 8 --steps 4
                 --warmup-steps 1 --batch-size 4 --threads 1 --out ${CLI_OUT}/text_train)
set_tests_properties(cli.train_text_file PROPERTIES FIXTURES_REQUIRED "spam_tsv;spam_tok"
                     FIXTURES_SETUP text_trained PASS_REGULAR_EXPRESSION
                     "2 labels from .*train.tsv: ham, spam.*test_accuracy: [01]\\.[0-9]+")
add_test(NAME cli.eval_text_file
         COMMAND setformer eval --checkpoint ${CLI_OUT}/text_train/checkpoint.pt --out ${CLI_OUT}/text_eval)
set_tests_properties(cli.eval_text_file PROPERTIES FIXTURES_REQUIRED text_trained
                     PASS_REGULAR_EXPRESSION "test_accuracy: [01]\\.[0-9]+.*test_matthews.*wrote .*eval.json")
add_test(NAME cli.predict_text_stdin
         COMMAND sh -c "printf 'free money now\\nsee you at the meeting\\n' | $<TARGET_FILE:setformer> predict --checkpoint ${CLI_OUT}/text_train/checkpoint.pt -")
set_tests_properties(cli.predict_text_stdin PROPERTIES FIXTURES_REQUIRED text_trained PASS_REGULAR_EXPRESSION
                     "source\tid\tprediction\tp\\(ham\\)\tp\\(spam\\)\nstdin\t1\t(ham|spam)\t0\\.[0-9]+\t0\\.[0-9]+\nstdin\t2\t")
add_test(NAME cli.predict_text_json
         COMMAND setformer predict --checkpoint ${CLI_OUT}/text_train/checkpoint.pt --json
                 ${CLI_OUT}/spam_tsv/test.tsv)
set_tests_properties(cli.predict_text_json PROPERTIES FIXTURES_REQUIRED text_trained PASS_REGULAR_EXPRESSION
                     "\\{\"id\":\"[^\"]+\",\"prediction\":\"(ham|spam)\",\"probabilities\":\\{\"ham\":")
add_test(NAME cli.predict_text_submission
         COMMAND setformer predict --checkpoint ${CLI_OUT}/text_train/checkpoint.pt
                 --glue-submission ${CLI_OUT}/text_submission)
set_tests_properties(cli.predict_text_submission PROPERTIES FIXTURES_REQUIRED text_trained
                     PASS_REGULAR_EXPRESSION "validation.tsv: 40 predictions for")
cli_error(text_missing_column "train.tsv:1: no column 'body' in the header (it has: id, text, label)"
          train --task classify --data-root ${CLI_OUT}/spam_tsv --train-file train.tsv
          --text-column body --tokenizer bytes --out ${CLI_OUT}/never)
set_tests_properties(cli.error.text_missing_column PROPERTIES FIXTURES_REQUIRED spam_tsv)
cli_error(tokenizer_not_a_model "not a SentencePiece model"
          tokenizer encode --model ${PROJECT_SOURCE_DIR}/README.md hello)
cli_error(glue_without_root "task.glue = 'sst2' reads the GLUE download: give its folder as --data-root"
          train --config ${PROJECT_SOURCE_DIR}/configs/glue/sst2.toml --dry-run)
# The State of the Union party task: passages of the Democratic and Republican addresses, each
# president in one split.
add_test(NAME cli.data_export_sotu_party
         COMMAND setformer data export --dataset sotu-party --format tsv
                 --text-dir ${PROJECT_SOURCE_DIR}/data/text/node_modules/@stdlib
                 --splits-dir ${PROJECT_SOURCE_DIR}/data/text/splits --out ${CLI_OUT}/sotu_party)
set_tests_properties(cli.data_export_sotu_party PROPERTIES PASS_REGULAR_EXPRESSION
                     "train.tsv: 4459 passages of 20 presidents.*validation.tsv: 1151 passages of 6 presidents.*test.tsv: 1343 passages of 7 presidents")
# bench text: the tokenizer and loader rows on a small corpus (the Python peer runs where
# python3-sentencepiece is installed, and its row says why not elsewhere).
add_test(NAME cli.bench_text_quick
         COMMAND setformer bench text --corpus ${PROJECT_SOURCE_DIR}/README.md --vocab-size 400
                 --rounds 1 --length 64 --peer-script ${PROJECT_SOURCE_DIR}/bench/sentencepiece_peer.py
                 --table ${CLI_OUT}/bench_text)
set_tests_properties(cli.bench_text_quick PROPERTIES PASS_REGULAR_EXPRESSION
                     "SentencePiece encode, setformer \\(shim library\\) +\\| [0-9.]+ M .*bytes encode, setformer +\\| [0-9.]+ M .*training batches of 16 x 64 tokens.*bench_text.json")
