import { Migration } from '@mikro-orm/migrations';

/** Live presence in the designer: one row per open designer, refreshed by its web process's heartbeat. */
export class Migration20261124150000_designer_presence extends Migration {
  override name = 'Migration20261124150000_designer_presence';

  override up(): void | Promise<void> {
    this.addSql(
      `create table "designer_presence" ("id" serial primary key, "definition_id" int not null, "socket_id" varchar(255) not null, "user_id" int not null, "user_name" varchar(255) not null, "editing" boolean not null, "node" varchar(255) not null, "joined_at" timestamptz not null, "seen_at" timestamptz not null);`,
    );
    this.addSql(`create index "designer_presence_definition_id_index" on "designer_presence" ("definition_id");`);
    this.addSql(`create index "designer_presence_node_index" on "designer_presence" ("node");`);
    this.addSql(`create index "designer_presence_seen_at_index" on "designer_presence" ("seen_at");`);
    this.addSql(`alter table "designer_presence" add constraint "designer_presence_socket_definition_unique" unique ("socket_id", "definition_id");`);

    this.addSql(
      `alter table "designer_presence" add constraint "designer_presence_definition_id_foreign" foreign key ("definition_id") references "workflow_definition" ("id") on delete cascade;`,
    );
    this.addSql(
      `alter table "designer_presence" add constraint "designer_presence_user_id_foreign" foreign key ("user_id") references "app_user" ("id") on delete cascade;`,
    );
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "designer_presence" cascade;`);
  }
}
