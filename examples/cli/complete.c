/*
 * complete.c - `ego4dfeat __complete WHAT`, the words the bash completion
 * (ego4dfeat.bash) offers that only the tool knows:
 *   __complete commands                  the subcommands
 *   __complete keys --config-name NAME [--config-dir DIR] [overrides...]
 *                                        the config's keys as overrides
 *                                        take them (io.out_path, ...)
 * Config names are listed by the script itself from the config folders.
 */
#include <stdio.h>
#include <string.h>
#include <yaml.h>

#include "cli.h"

/* Prints the dotted path of every leaf under node (a mapping's scalars,
 * lists and nulls; an empty mapping is a leaf too). */
static void print_keys(yaml_document_t *doc, yaml_node_t *node,
                       const char *prefix) {
  if (!node || node->type != YAML_MAPPING_NODE)
    return;
  for (yaml_node_pair_t *p = node->data.mapping.pairs.start;
       p < node->data.mapping.pairs.top; p++) {
    yaml_node_t *k = yaml_document_get_node(doc, p->key);
    yaml_node_t *v = yaml_document_get_node(doc, p->value);
    if (!k || k->type != YAML_SCALAR_NODE)
      continue;
    char path[1024];
    snprintf(path, sizeof path, "%s%s%s", prefix, *prefix ? "." : "",
             (const char *)k->data.scalar.value);
    if (v && v->type == YAML_MAPPING_NODE &&
        v->data.mapping.pairs.top > v->data.mapping.pairs.start)
      print_keys(doc, v, path);
    else
      printf("%s\n", path);
  }
}

static int complete_keys(int argc, char **argv) {
  cli_args a;
  ef_config *cfg = NULL;
  char *yaml = NULL;
  int status = cli_parse(argc, argv, &a);
  if (status == 0)
    status = cli_load_config(&a, &cfg);
  if (status == 0 && ef_config_dump(cfg, &yaml) != EF_OK) {
    cli_error("%s", ef_last_error());
    status = 1;
  }
  if (status == 0) {
    yaml_parser_t parser;
    yaml_document_t doc;
    if (!yaml_parser_initialize(&parser)) {
      cli_error("out of memory");
      status = 1;
    } else {
      yaml_parser_set_input_string(&parser, (const unsigned char *)yaml,
                                   strlen(yaml));
      if (!yaml_parser_load(&parser, &doc)) {
        cli_error("cannot read the config back: %s",
                  parser.problem ? parser.problem : "unknown problem");
        status = 1;
      } else {
        print_keys(&doc, yaml_document_get_root_node(&doc), "");
        yaml_document_delete(&doc);
      }
      yaml_parser_delete(&parser);
    }
  }
  ef_free(yaml);
  ef_config_free(cfg);
  cli_args_free(&a);
  return status;
}

int cli_complete(int argc, char **argv) {
  if (argc >= 1 && strcmp(argv[0], "commands") == 0) {
    for (size_t i = 0; i < cli_n_commands; i++)
      printf("%s\n", cli_commands[i].name);
    printf("help\n");
    return 0;
  }
  if (argc >= 1 && strcmp(argv[0], "keys") == 0)
    return complete_keys(argc - 1, argv + 1);
  cli_error("__complete: expected 'commands' or 'keys'");
  return 2;
}
