//! `assets`, `asset_tags`, `task_assets` and `storage_deletions`: uploaded files,
//! their tags, the blocks they are context for, and objects waiting to be removed.
//! Every read and write is scoped to the owner; another user's id finds nothing.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::dsl::count_star;
use diesel::prelude::*;

use crate::db::AnyConnection;
use crate::db::schema::{
    asset_tags, assets, clients, projects, storage_deletions, task_assets, tasks,
};
use crate::db::types::lower;
use crate::domain::{AssetId, AssetType, ClientId, ProjectId, TaskId, UserId};

#[derive(
    Debug,
    Clone,
    PartialEq,
    Queryable,
    Selectable,
    Insertable,
    Identifiable,
    serde::Serialize,
    serde::Deserialize,
)]
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
    pub sha256: Option<String>,
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub thumbnail_path: Option<String>,
    pub original_name: Option<String>,
}

/// An asset with what a card or page shows beside it.
#[derive(Debug, Clone)]
pub struct AssetCard {
    pub asset: Asset,
    pub client_name: Option<String>,
    pub project_name: Option<String>,
    pub tags: Vec<String>,
}

/// The editable fields, already validated (client and project checked as the owner's).
#[derive(Debug, Clone, PartialEq)]
pub struct AssetFields {
    pub name: String,
    pub category: Option<String>,
    pub client_id: Option<ClientId>,
    pub project_id: Option<ProjectId>,
    pub tags: Vec<String>,
}

/// Saves new assets with their tags, and links them to a block when `task` is set.
pub fn insert_all(
    conn: &mut AnyConnection,
    rows: &[(Asset, Vec<String>)],
    task: Option<&TaskId>,
) -> QueryResult<()> {
    for (asset, tags) in rows {
        diesel::insert_into(assets::table)
            .values(asset)
            .execute(conn)?;
        set_tags(conn, &asset.user_id, &asset.id, tags)?;
        if let Some(task) = task {
            link_to_task(conn, &asset.user_id, task, &asset.id, asset.created_at)?;
        }
    }
    Ok(())
}

fn set_tags(
    conn: &mut AnyConnection,
    user: &UserId,
    asset: &AssetId,
    tags: &[String],
) -> QueryResult<()> {
    diesel::delete(asset_tags::table.filter(asset_tags::asset_id.eq(asset))).execute(conn)?;
    for tag in tags {
        diesel::insert_into(asset_tags::table)
            .values((
                asset_tags::asset_id.eq(asset),
                asset_tags::user_id.eq(user),
                asset_tags::tag.eq(tag),
            ))
            .execute(conn)?;
    }
    Ok(())
}

pub fn find(conn: &mut AnyConnection, user: &UserId, id: &AssetId) -> QueryResult<Option<Asset>> {
    assets::table
        .filter(assets::user_id.eq(user))
        .filter(assets::id.eq(id))
        .select(Asset::as_select())
        .first(conn)
        .optional()
}

/// One asset with its client, project and tags, for its page.
pub fn card(
    conn: &mut AnyConnection,
    user: &UserId,
    id: &AssetId,
) -> QueryResult<Option<AssetCard>> {
    let row = assets::table
        .left_join(clients::table)
        .left_join(projects::table)
        .filter(assets::user_id.eq(user))
        .filter(assets::id.eq(id))
        .select((
            Asset::as_select(),
            clients::name.nullable(),
            projects::name.nullable(),
        ))
        .first(conn)
        .optional()?;
    Ok(with_tags(conn, row.into_iter().collect())?.pop())
}

fn tags_of(
    conn: &mut AnyConnection,
    ids: &[&AssetId],
) -> QueryResult<HashMap<AssetId, Vec<String>>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(AssetId, String)> = asset_tags::table
        .filter(asset_tags::asset_id.eq_any(ids))
        .select((asset_tags::asset_id, asset_tags::tag))
        .order(asset_tags::tag.asc())
        .load(conn)?;
    let mut map: HashMap<AssetId, Vec<String>> = HashMap::new();
    for (id, tag) in rows {
        map.entry(id).or_default().push(tag);
    }
    Ok(map)
}

/// The gallery's filters.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AssetFilter {
    pub asset_type: Option<AssetType>,
    pub category: Option<String>,
    pub tag: Option<String>,
    pub client: Option<ClientId>,
    pub project: Option<ProjectId>,
    pub search: Option<String>,
    pub sort: AssetSort,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum AssetSort {
    #[default]
    Newest,
    Oldest,
    Largest,
    Smallest,
    Name,
}

impl AssetSort {
    pub const ALL: [(AssetSort, &'static str, &'static str); 5] = [
        (AssetSort::Newest, "newest", "Newest first"),
        (AssetSort::Oldest, "oldest", "Oldest first"),
        (AssetSort::Largest, "largest", "Largest first"),
        (AssetSort::Smallest, "smallest", "Smallest first"),
        (AssetSort::Name, "name", "Name A–Z"),
    ];

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL
            .iter()
            .find(|(_, key, _)| *key == text)
            .map(|(s, _, _)| *s)
    }

    pub fn key(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(s, _, _)| *s == self)
            .map(|(_, k, _)| *k)
            .unwrap_or("newest")
    }
}

/// One page of the owner's assets matching `filter`, and how many match in all.
pub fn gallery(
    conn: &mut AnyConnection,
    user: &UserId,
    filter: &AssetFilter,
    offset: i64,
    limit: i64,
) -> QueryResult<(Vec<AssetCard>, i64)> {
    macro_rules! filtered {
        ($source:expr) => {{
            let mut query = $source
                .filter(assets::user_id.eq(user))
                .into_boxed::<crate::db::MultiBackend>();
            if let Some(kind) = filter.asset_type {
                query = query.filter(assets::asset_type.eq(kind));
            }
            if let Some(category) = &filter.category {
                query = query.filter(assets::category.eq(category));
            }
            if let Some(client) = &filter.client {
                query = query.filter(assets::client_id.eq(client));
            }
            if let Some(project) = &filter.project {
                query = query.filter(assets::project_id.eq(project));
            }
            if let Some(tag) = &filter.tag {
                query = query.filter(
                    assets::id.eq_any(
                        asset_tags::table
                            .filter(asset_tags::user_id.eq(user))
                            .filter(asset_tags::tag.eq(tag))
                            .select(asset_tags::asset_id),
                    ),
                );
            }
            if let Some(text) = &filter.search {
                query = query.filter(
                    lower(assets::name)
                        .like(crate::db::contains_pattern(text))
                        .escape('\\'),
                );
            }
            query
        }};
    }
    // The filters only read `assets`, so the count skips the joins the page needs.
    let total: i64 = filtered!(assets::table).select(count_star()).first(conn)?;
    let query = filtered!(
        assets::table
            .left_join(clients::table)
            .left_join(projects::table)
    )
    .select((
        Asset::as_select(),
        clients::name.nullable(),
        projects::name.nullable(),
    ));
    let query = match filter.sort {
        AssetSort::Newest => query.order((assets::created_at.desc(), assets::id.asc())),
        AssetSort::Oldest => query.order((assets::created_at.asc(), assets::id.asc())),
        AssetSort::Largest => query.order((assets::file_size.desc(), assets::id.asc())),
        AssetSort::Smallest => query.order((assets::file_size.asc(), assets::id.asc())),
        AssetSort::Name => query.order((lower(assets::name).asc(), assets::id.asc())),
    };
    let list = query.offset(offset).limit(limit).load(conn)?;
    Ok((with_tags(conn, list)?, total))
}

/// Cards from rows that already carry their client and project names: one more
/// statement for all their tags.
fn with_tags(
    conn: &mut AnyConnection,
    rows: Vec<(Asset, Option<String>, Option<String>)>,
) -> QueryResult<Vec<AssetCard>> {
    let ids: Vec<&AssetId> = rows.iter().map(|(a, _, _)| &a.id).collect();
    let mut tags = tags_of(conn, &ids)?;
    Ok(rows
        .into_iter()
        .map(|(asset, client_name, project_name)| AssetCard {
            tags: tags.remove(&asset.id).unwrap_or_default(),
            client_name,
            project_name,
            asset,
        })
        .collect())
}

/// The owner's tags with how many files carry each, most used first.
pub fn tag_counts(conn: &mut AnyConnection, user: &UserId) -> QueryResult<Vec<(String, i64)>> {
    asset_tags::table
        .filter(asset_tags::user_id.eq(user))
        .group_by(asset_tags::tag)
        .select((asset_tags::tag, count_star()))
        .order((count_star().desc(), asset_tags::tag.asc()))
        .limit(200)
        .load(conn)
}

/// The categories the owner has used, A–Z.
pub fn categories(conn: &mut AnyConnection, user: &UserId) -> QueryResult<Vec<String>> {
    assets::table
        .filter(assets::user_id.eq(user))
        .filter(assets::category.is_not_null())
        .select(assets::category.assume_not_null())
        .distinct()
        .order(assets::category.asc())
        .limit(200)
        .load(conn)
}

/// The newest assets of a client or project, for their pages, and how many there are.
pub fn recent_for(
    conn: &mut AnyConnection,
    user: &UserId,
    client: Option<&ClientId>,
    project: Option<&ProjectId>,
    limit: i64,
) -> QueryResult<(Vec<AssetCard>, i64)> {
    let filter = AssetFilter {
        client: client.cloned(),
        project: project.cloned(),
        ..AssetFilter::default()
    };
    gallery(conn, user, &filter, 0, limit)
}

pub fn update(
    conn: &mut AnyConnection,
    user: &UserId,
    id: &AssetId,
    fields: &AssetFields,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let changed = diesel::update(
        assets::table
            .filter(assets::user_id.eq(user))
            .filter(assets::id.eq(id)),
    )
    .set((
        assets::name.eq(&fields.name),
        assets::category.eq(&fields.category),
        assets::client_id.eq(&fields.client_id),
        assets::project_id.eq(&fields.project_id),
        assets::updated_at.eq(now),
    ))
    .execute(conn)?;
    if changed == 0 {
        return Ok(false);
    }
    set_tags(conn, user, id, &fields.tags)?;
    Ok(true)
}

/// Removes the owner's asset row (tags and block links go with it) and queues its
/// objects for removal, in the caller's transaction. Returns the queued keys, or
/// `None` when there is no such asset of this user.
/// A deleted file as Undo can bring it back: its row, tags and links to
/// blocks. Its objects wait in the deletion queue for `HOLD` first.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Removed {
    pub asset: Asset,
    pub tags: Vec<String>,
    pub tasks: Vec<(TaskId, NaiveDateTime)>,
}

impl Removed {
    /// The stored objects: the file and its thumbnail.
    pub fn keys(&self) -> Vec<String> {
        std::iter::once(self.asset.storage_path.clone())
            .chain(self.asset.thumbnail_path.clone())
            .collect()
    }
}

/// How long a deleted file's objects stay in the queue before they are
/// removed: longer than Undo is offered, so an undone delete finds its file.
pub const HOLD: chrono::Duration = chrono::Duration::seconds(120);

/// Deletes an asset (its tags and links go with the row) and queues its
/// objects; what it was, for Undo; `None` if it is not the user's.
pub fn delete(
    conn: &mut AnyConnection,
    user: &UserId,
    id: &AssetId,
    now: NaiveDateTime,
) -> QueryResult<Option<Removed>> {
    let Some(asset) = find(conn, user, id)? else {
        return Ok(None);
    };
    let tags = asset_tags::table
        .filter(asset_tags::asset_id.eq(id))
        .select(asset_tags::tag)
        .order(asset_tags::tag.asc())
        .load(conn)?;
    let tasks = task_assets::table
        .filter(task_assets::asset_id.eq(id))
        .select((task_assets::task_id, task_assets::created_at))
        .load(conn)?;
    diesel::delete(assets::table.filter(assets::id.eq(&asset.id))).execute(conn)?;
    let removed = Removed { asset, tags, tasks };
    for key in removed.keys() {
        queue_deletion(conn, &key, now)?;
    }
    Ok(Some(removed))
}

/// Puts a deleted asset back as it was: its objects taken off the deletion
/// queue, its tags, and its links to blocks, client and project that still
/// exist. `false` (nothing changed) when its objects have left the queue
/// (removed already) or it is back already.
pub fn restore(conn: &mut AnyConnection, user: &UserId, removed: &Removed) -> QueryResult<bool> {
    let keys = removed.keys();
    let waiting = storage_deletions::table
        .filter(storage_deletions::storage_key.eq_any(&keys))
        .count()
        .get_result::<i64>(conn)?;
    let exists = find(conn, user, &removed.asset.id)?.is_some();
    if exists || waiting != keys.len() as i64 || removed.asset.user_id != *user {
        return Ok(false);
    }
    diesel::delete(storage_deletions::table.filter(storage_deletions::storage_key.eq_any(&keys)))
        .execute(conn)?;
    let mut asset = removed.asset.clone();
    if let Some(client) = &asset.client_id
        && super::clients::find(conn, user, client)?.is_none()
    {
        asset.client_id = None;
    }
    if let Some(project) = &asset.project_id
        && super::projects::find(conn, user, project)?.is_none()
    {
        asset.project_id = None;
    }
    diesel::insert_into(assets::table)
        .values(&asset)
        .execute(conn)?;
    set_tags(conn, user, &asset.id, &removed.tags)?;
    let ids: Vec<&TaskId> = removed.tasks.iter().map(|(id, _)| id).collect();
    let still: Vec<TaskId> = tasks::table
        .filter(tasks::user_id.eq(user))
        .filter(tasks::id.eq_any(ids))
        .select(tasks::id)
        .load(conn)?;
    for (task, at) in removed.tasks.iter().filter(|(id, _)| still.contains(id)) {
        diesel::insert_into(task_assets::table)
            .values((
                task_assets::task_id.eq(task),
                task_assets::asset_id.eq(&asset.id),
                task_assets::created_at.eq(at),
            ))
            .execute(conn)?;
    }
    Ok(true)
}

/// Every stored object of the user's files (originals and thumbnails).
pub fn keys_for_user(conn: &mut AnyConnection, user: &UserId) -> QueryResult<Vec<String>> {
    let rows: Vec<(String, Option<String>)> = assets::table
        .filter(assets::user_id.eq(user))
        .select((assets::storage_path, assets::thumbnail_path))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .flat_map(|(original, thumb)| std::iter::once(original).chain(thumb))
        .collect())
}

pub fn queue_deletion(conn: &mut AnyConnection, key: &str, now: NaiveDateTime) -> QueryResult<()> {
    let queued = storage_deletions::table
        .find(key)
        .select(storage_deletions::storage_key)
        .first::<String>(conn)
        .optional()?;
    if queued.is_none() {
        diesel::insert_into(storage_deletions::table)
            .values((
                storage_deletions::storage_key.eq(key),
                storage_deletions::queued_at.eq(now),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Queued object keys, oldest first: all of them, or (`due`) only those
/// queued before that time.
pub fn queued_deletions(
    conn: &mut AnyConnection,
    limit: i64,
    due: Option<NaiveDateTime>,
) -> QueryResult<Vec<String>> {
    let mut query = storage_deletions::table.into_boxed();
    if let Some(due) = due {
        query = query.filter(storage_deletions::queued_at.le(due));
    }
    query
        .select(storage_deletions::storage_key)
        .order(storage_deletions::queued_at.asc())
        .limit(limit)
        .load(conn)
}

pub fn deletion_done(conn: &mut AnyConnection, key: &str) -> QueryResult<()> {
    diesel::delete(storage_deletions::table.find(key))
        .execute(conn)
        .map(drop)
}

pub fn deletion_failed(conn: &mut AnyConnection, key: &str, error: &str) -> QueryResult<()> {
    diesel::update(storage_deletions::table.find(key))
        .set((
            storage_deletions::attempts.eq(storage_deletions::attempts + 1),
            storage_deletions::last_error.eq(error.chars().take(500).collect::<String>()),
        ))
        .execute(conn)
        .map(drop)
}

/// Every object key any row points at (for `lauf storage check`), with the asset.
pub fn all_keys(conn: &mut AnyConnection) -> QueryResult<Vec<(AssetId, String, Option<String>)>> {
    assets::table
        .select((assets::id, assets::storage_path, assets::thumbnail_path))
        .load(conn)
}

/// Drops a row whose file is gone (repair), tags and links with it.
pub fn delete_row(conn: &mut AnyConnection, id: &AssetId) -> QueryResult<usize> {
    diesel::delete(assets::table.filter(assets::id.eq(id))).execute(conn)
}

/// Forgets a missing thumbnail (repair): the original stays and shows without one.
pub fn clear_thumbnail(conn: &mut AnyConnection, id: &AssetId) -> QueryResult<usize> {
    diesel::update(assets::table.filter(assets::id.eq(id)))
        .set((
            assets::thumbnail_path.eq(None::<String>),
            assets::thumbnail_url.eq(None::<String>),
        ))
        .execute(conn)
}

/// Whether the block and the file are both the user's.
fn owns_both(
    conn: &mut AnyConnection,
    user: &UserId,
    task: &TaskId,
    asset: &AssetId,
) -> QueryResult<bool> {
    use crate::db::schema::tasks;
    let task_owned = diesel::dsl::exists(
        tasks::table
            .filter(tasks::user_id.eq(user))
            .filter(tasks::id.eq(task)),
    );
    let asset_owned = diesel::dsl::exists(
        assets::table
            .filter(assets::user_id.eq(user))
            .filter(assets::id.eq(asset)),
    );
    diesel::select(task_owned.and(asset_owned)).get_result(conn)
}

/// Attaches one of the user's files to one of their blocks (once, however often
/// asked); `false` if either is not theirs.
/// Puts a file with one of the user's clients (from the client's page); a
/// project of another client it was with is let go. The file's and the
/// client's names; `None` if either is not the user's.
pub fn move_to_client(
    conn: &mut AnyConnection,
    user: &UserId,
    asset: &AssetId,
    client: &ClientId,
    now: NaiveDateTime,
) -> QueryResult<Option<(String, String)>> {
    let (Some(file), Some(owner)) = (
        find(conn, user, asset)?,
        super::clients::find(conn, user, client)?,
    ) else {
        return Ok(None);
    };
    let project = match &file.project_id {
        Some(p) => super::projects::find(conn, user, p)?.filter(|p| p.client_id == *client),
        None => None,
    };
    diesel::update(assets::table.filter(assets::id.eq(asset)))
        .set((
            assets::client_id.eq(client),
            assets::project_id.eq(project.map(|p| p.id)),
            assets::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(Some((file.name, owner.name)))
}

/// Puts a file with one of the user's projects, and so with its client. The
/// file's and the project's names; `None` if either is not the user's.
pub fn move_to_project(
    conn: &mut AnyConnection,
    user: &UserId,
    asset: &AssetId,
    project: &ProjectId,
    now: NaiveDateTime,
) -> QueryResult<Option<(String, String)>> {
    let (Some(file), Some(owner)) = (
        find(conn, user, asset)?,
        super::projects::find(conn, user, project)?,
    ) else {
        return Ok(None);
    };
    diesel::update(assets::table.filter(assets::id.eq(asset)))
        .set((
            assets::client_id.eq(&owner.client_id),
            assets::project_id.eq(project),
            assets::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(Some((file.name, owner.name)))
}

pub fn link_to_task(
    conn: &mut AnyConnection,
    user: &UserId,
    task: &TaskId,
    asset: &AssetId,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    if !owns_both(conn, user, task, asset)? {
        return Ok(false);
    }
    let linked = task_assets::table
        .filter(task_assets::task_id.eq(task))
        .filter(task_assets::asset_id.eq(asset))
        .count()
        .get_result::<i64>(conn)?;
    if linked == 0 {
        diesel::insert_into(task_assets::table)
            .values((
                task_assets::task_id.eq(task),
                task_assets::asset_id.eq(asset),
                task_assets::created_at.eq(now),
            ))
            .execute(conn)?;
    }
    Ok(true)
}

/// Takes a file off a block; `false` if either is not the user's.
pub fn unlink_from_task(
    conn: &mut AnyConnection,
    user: &UserId,
    task: &TaskId,
    asset: &AssetId,
) -> QueryResult<bool> {
    if !owns_both(conn, user, task, asset)? {
        return Ok(false);
    }
    diesel::delete(
        task_assets::table
            .filter(task_assets::task_id.eq(task))
            .filter(task_assets::asset_id.eq(asset)),
    )
    .execute(conn)?;
    Ok(true)
}

/// A file as a block shows it: enough for a link and an icon.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkedFile {
    pub id: AssetId,
    pub name: String,
    pub asset_type: AssetType,
    pub has_thumbnail: bool,
}

/// The files linked to each of `task_ids` (the owner's only), in one statement.
pub fn linked_to_tasks(
    conn: &mut AnyConnection,
    user: &UserId,
    task_ids: &[&TaskId],
) -> QueryResult<HashMap<TaskId, Vec<LinkedFile>>> {
    if task_ids.is_empty() {
        return Ok(HashMap::new());
    }
    // Driven by the links' primary key (task_id, asset_id), the assets joined by
    // theirs. Filtering on assets.user_id in SQL lets SQLite's planner start from
    // every asset of the user instead (2,000 of them: 1.5 ms); the tasks are the
    // user's already, and the owner check stays, on the rows that come back.
    let rows: Vec<(TaskId, AssetId, String, AssetType, Option<String>, UserId)> =
        task_assets::table
            .inner_join(assets::table)
            .filter(task_assets::task_id.eq_any(task_ids))
            .select((
                task_assets::task_id,
                assets::id,
                assets::name,
                assets::asset_type,
                assets::thumbnail_path,
                assets::user_id,
            ))
            .order((task_assets::created_at.asc(), assets::name.asc()))
            .load(conn)?;
    let mut map: HashMap<TaskId, Vec<LinkedFile>> = HashMap::new();
    for (task, id, name, asset_type, thumb, _) in rows.into_iter().filter(|r| &r.5 == user) {
        map.entry(task).or_default().push(LinkedFile {
            id,
            name,
            asset_type,
            has_thumbnail: thumb.is_some(),
        });
    }
    Ok(map)
}

/// The blocks an asset is linked to (the owner's), newest first.
pub fn tasks_of(
    conn: &mut AnyConnection,
    user: &UserId,
    asset: &AssetId,
) -> QueryResult<Vec<(TaskId, String, Option<chrono::NaiveDate>)>> {
    task_assets::table
        .inner_join(tasks::table)
        .filter(tasks::user_id.eq(user))
        .filter(task_assets::asset_id.eq(asset))
        .select((tasks::id, tasks::title, tasks::scheduled_date))
        .order(tasks::scheduled_date.desc())
        .limit(100)
        .load(conn)
}

/// The owner's other files with the same content (same SHA-256), newest first.
pub fn same_content(
    conn: &mut AnyConnection,
    user: &UserId,
    asset: &Asset,
) -> QueryResult<Vec<(AssetId, String)>> {
    let Some(hash) = &asset.sha256 else {
        return Ok(Vec::new());
    };
    assets::table
        .filter(assets::user_id.eq(user))
        .filter(assets::sha256.eq(hash))
        .filter(assets::id.ne(&asset.id))
        .select((assets::id, assets::name))
        .order(assets::created_at.desc())
        .limit(10)
        .load(conn)
}

/// The owner's clients as (id, name), A–Z, for pickers: two columns, not whole rows.
pub fn client_options(
    conn: &mut AnyConnection,
    user: &UserId,
) -> QueryResult<Vec<(ClientId, String)>> {
    clients::table
        .filter(clients::user_id.eq(user))
        .select((clients::id, clients::name))
        .order((clients::name.asc(), clients::id.asc()))
        .load(conn)
}

/// Every project of the owner (launched ones too: their files matter) as
/// (id, name, client name), by client then name.
pub fn project_options(
    conn: &mut AnyConnection,
    user: &UserId,
) -> QueryResult<Vec<(ProjectId, String, String)>> {
    projects::table
        .inner_join(clients::table)
        .filter(clients::user_id.eq(user))
        .select((projects::id, projects::name, clients::name))
        .order((
            clients::name.asc(),
            projects::name.asc(),
            projects::id.asc(),
        ))
        .load(conn)
}

/// The owner's newest files, for "attach a file" pickers.
pub fn recent_names(
    conn: &mut AnyConnection,
    user: &UserId,
    limit: i64,
) -> QueryResult<Vec<(AssetId, String)>> {
    assets::table
        .filter(assets::user_id.eq(user))
        .select((assets::id, assets::name))
        .order((assets::created_at.desc(), assets::id.asc()))
        .limit(limit)
        .load(conn)
}
