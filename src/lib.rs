pub mod tour;
