-- Optional, for deployments on Supabase PostgreSQL that want a LAUF OS user row
-- the moment someone signs up in Supabase Auth (the original app's
-- `handle_new_user` trigger). LAUF OS does not need it: the first login
-- provisions the user from the verified token anyway, and finishes a row this
-- trigger made (starter activities, the real issuer). Both can run together:
-- whichever comes first creates the row, the other leaves it be.
--
-- Run it once in the Supabase SQL editor (or psql) after `lauf migrate`, in the
-- database the app uses. Undo with the two DROP statements at the end.
--
-- Safe by construction:
--   * `security definer` with an empty search_path and qualified names, so no
--     one can hijack it through their own schema;
--   * any failure is turned into a warning: a broken trigger never blocks a
--     sign-up ("Database error saving new user");
--   * only the id, email and display fields are copied. raw_user_meta_data is
--     user-writable and never decides anything but the name and avatar shown.

create or replace function public.lauf_handle_new_user()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  meta jsonb := coalesce(new.raw_user_meta_data, '{}'::jsonb);
  avatar text := coalesce(meta ->> 'avatar_url', meta ->> 'picture');
begin
  begin
    insert into public.users (id, email, name, avatar_url, auth_provider, auth_issuer, auth_subject)
    values (
      new.id::text,
      new.email,
      nullif(left(trim(coalesce(meta ->> 'full_name', meta ->> 'name', '')), 100), ''),
      case when avatar like 'https://%' and length(avatar) <= 500 then avatar end,
      'supabase',
      -- The issuer is filled in from the verified token on the first login.
      'pending:handle_new_user',
      new.id::text
    )
    on conflict do nothing;
  exception when others then
    raise warning 'lauf_handle_new_user: no LAUF OS user for %: %', new.id, sqlerrm;
  end;
  return new;
end;
$$;

drop trigger if exists lauf_on_auth_user_created on auth.users;
create trigger lauf_on_auth_user_created
  after insert on auth.users
  for each row execute procedure public.lauf_handle_new_user();

-- To remove:
--   drop trigger if exists lauf_on_auth_user_created on auth.users;
--   drop function if exists public.lauf_handle_new_user();
