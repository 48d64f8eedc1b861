//! `q!`: run one parametrized statement on whichever backend a [`crate::Conn`]
//! holds. The statement text is shared; only the executor differs.
//!
//! Forms: `q!(all c, Row, sql, args..)`, `q!(opt ..)`, `q!(one ..)`,
//! `q!(scalar c, T, sql, args..)`, `q!(exec c, sql, args..)` (rows affected).

macro_rules! q {
    (all $c:expr, $T:ty, $sql:expr $(, $arg:expr)* $(,)?) => {
        match $c {
            $crate::db::Conn::Pg(c) => sqlx::query_as::<_, $T>($sql)$(.bind($arg))*.fetch_all(&mut **c).await,
            $crate::db::Conn::Sqlite(c) => sqlx::query_as::<_, $T>($sql)$(.bind($arg))*.fetch_all(&mut **c).await,
        }
    };
    (opt $c:expr, $T:ty, $sql:expr $(, $arg:expr)* $(,)?) => {
        match $c {
            $crate::db::Conn::Pg(c) => sqlx::query_as::<_, $T>($sql)$(.bind($arg))*.fetch_optional(&mut **c).await,
            $crate::db::Conn::Sqlite(c) => sqlx::query_as::<_, $T>($sql)$(.bind($arg))*.fetch_optional(&mut **c).await,
        }
    };
    (one $c:expr, $T:ty, $sql:expr $(, $arg:expr)* $(,)?) => {
        match $c {
            $crate::db::Conn::Pg(c) => sqlx::query_as::<_, $T>($sql)$(.bind($arg))*.fetch_one(&mut **c).await,
            $crate::db::Conn::Sqlite(c) => sqlx::query_as::<_, $T>($sql)$(.bind($arg))*.fetch_one(&mut **c).await,
        }
    };
    (scalar $c:expr, $T:ty, $sql:expr $(, $arg:expr)* $(,)?) => {
        match $c {
            $crate::db::Conn::Pg(c) => sqlx::query_scalar::<_, $T>($sql)$(.bind($arg))*.fetch_one(&mut **c).await,
            $crate::db::Conn::Sqlite(c) => sqlx::query_scalar::<_, $T>($sql)$(.bind($arg))*.fetch_one(&mut **c).await,
        }
    };
    (exec $c:expr, $sql:expr $(, $arg:expr)* $(,)?) => {
        match $c {
            $crate::db::Conn::Pg(c) => sqlx::query($sql)$(.bind($arg))*.execute(&mut **c).await.map(|r| r.rows_affected()),
            $crate::db::Conn::Sqlite(c) => sqlx::query($sql)$(.bind($arg))*.execute(&mut **c).await.map(|r| r.rows_affected()),
        }
    };
}
