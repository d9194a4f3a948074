//! `#[asyncio::main]` and `#[asyncio::test]`: run an `async fn` on a fresh asyncio-rs loop.
//!
//! Both accept options: `virtual_time` (the loop's clock jumps to the next timer whenever
//! nothing is ready) and `debug` (report slow callbacks).

use proc_macro::TokenStream;
use quote::quote;
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::{parse_macro_input, ItemFn, Meta, Token};

struct Options {
    virtual_time: bool,
    debug: bool,
}

fn parse_options(args: TokenStream) -> syn::Result<Options> {
    let mut opts = Options {
        virtual_time: false,
        debug: false,
    };
    let metas = Punctuated::<Meta, Token![,]>::parse_terminated.parse(args)?;
    for meta in metas {
        let (name, value) = match &meta {
            Meta::Path(p) => (p.clone(), true),
            Meta::NameValue(nv) => match &nv.value {
                syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Bool(b),
                    ..
                }) => (nv.path.clone(), b.value),
                other => return Err(syn::Error::new_spanned(other, "expected `true` or `false`")),
            },
            Meta::List(l) => {
                return Err(syn::Error::new_spanned(l, "unexpected option list"));
            }
        };
        if name.is_ident("virtual_time") {
            opts.virtual_time = value;
        } else if name.is_ident("debug") {
            opts.debug = value;
        } else {
            return Err(syn::Error::new_spanned(
                name,
                "unknown option: expected `virtual_time` or `debug`",
            ));
        }
    }
    Ok(opts)
}

fn expand(args: TokenStream, item: TokenStream, is_test: bool) -> TokenStream {
    let opts = match parse_options(args) {
        Ok(o) => o,
        Err(e) => return e.to_compile_error().into(),
    };
    let mut func = parse_macro_input!(item as ItemFn);
    if func.sig.asyncness.take().is_none() {
        return syn::Error::new_spanned(func.sig.fn_token, "the function must be `async fn`")
            .to_compile_error()
            .into();
    }
    let body = &func.block;
    let virtual_time = opts.virtual_time;
    let debug = opts.debug;
    let test_attr = if is_test {
        quote!(#[::core::prelude::v1::test])
    } else {
        quote!()
    };
    let attrs = &func.attrs;
    let vis = &func.vis;
    let sig = &func.sig;
    quote! {
        #test_attr
        #(#attrs)*
        #vis #sig {
            let __asyncio_loop = ::asyncio::EventLoop::builder()
                .virtual_time(#virtual_time)
                .debug(#debug)
                .build()
                .expect("failed to create the event loop");
            ::asyncio::Runner::with_loop(__asyncio_loop).run(async move #body)
        }
    }
    .into()
}

/// Runs `async fn main` on a new loop, like `asyncio.run(main())`.
///
/// (Compiled and run through the `asyncio` crate's tests; this crate cannot depend on it.)
///
/// ```ignore
/// #[asyncio::main]
/// async fn main() {
///     asyncio::time::sleep(std::time::Duration::from_millis(1)).await;
/// }
/// ```
#[proc_macro_attribute]
pub fn main(args: TokenStream, item: TokenStream) -> TokenStream {
    expand(args, item, false)
}

/// Runs an `async fn` test on a new loop; `#[asyncio::test(virtual_time)]` makes time virtual.
///
/// (Compiled and run through the `asyncio` crate's tests; this crate cannot depend on it.)
///
/// ```ignore
/// #[asyncio::test(virtual_time)]
/// async fn an_hour_in_no_time() {
///     asyncio::time::sleep(std::time::Duration::from_secs(3600)).await;
/// }
/// ```
#[proc_macro_attribute]
pub fn test(args: TokenStream, item: TokenStream) -> TokenStream {
    expand(args, item, true)
}
