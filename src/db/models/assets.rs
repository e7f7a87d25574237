//! `assets`, `asset_tags`, `task_assets`: uploaded files, their tags and the blocks they belong to.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::AnyConnection;
use crate::db::schema::{asset_tags, assets, task_assets};
use crate::domain::{AssetId, AssetType, ClientId, ProjectId, TaskId, UserId};

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, Identifiable)]
#[diesel(table_name = assets)]
pub struct Asset {
    pub id: AssetId,
    pub user_id: UserId,
    pub project_id: Option<ProjectId>,
    pub client_id: Option<ClientId>,
    pub asset_type: AssetType,
    pub category: Option<String>,
    pub name: String,
    pub storage_path: String,
    pub url: String,
    pub thumbnail_url: Option<String>,
    pub file_size: i64,
    pub mime_type: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

pub fn insert(conn: &mut AnyConnection, asset: &Asset, tags: &[&str]) -> QueryResult<()> {
    conn.transaction(|conn| {
        diesel::insert_into(assets::table)
            .values(asset)
            .execute(conn)?;
        for tag in tags {
            diesel::insert_into(asset_tags::table)
                .values((
                    asset_tags::asset_id.eq(&asset.id),
                    asset_tags::user_id.eq(&asset.user_id),
                    asset_tags::tag.eq(tag),
                ))
                .execute(conn)?;
        }
        Ok(())
    })
}

pub fn link_to_task(conn: &mut AnyConnection, task: &TaskId, asset: &AssetId) -> QueryResult<()> {
    diesel::insert_into(task_assets::table)
        .values((
            task_assets::task_id.eq(task),
            task_assets::asset_id.eq(asset),
            task_assets::created_at.eq(crate::db::now()),
        ))
        .execute(conn)
        .map(drop)
}
